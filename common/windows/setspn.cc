#include "common/windows/setspn.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/text/lines.h"

namespace kerbside::windows {
namespace {

using text::Line;
using text::ParseError;

constexpr absl::string_view kListHeader = "Registered ServicePrincipalNames for ";
constexpr absl::string_view kDuplicateSuffix = " is registered on these accounts:";

bool IsIndented(absl::string_view line) {
  return !line.empty() && (line[0] == ' ' || line[0] == '\t');
}

bool IsBlank(absl::string_view line) { return absl::StripAsciiWhitespace(line).empty(); }

// The value of the first RDN: "CN=EX02,CN=Computers,..." -> "EX02". Escaped commas ("\,")
// inside the value are kept as written.
std::string FirstRdnValue(absl::string_view dn) {
  const size_t eq = dn.find('=');
  if (eq == absl::string_view::npos) return "";
  size_t end = eq + 1;
  while (end < dn.size() && dn[end] != ',') end += dn[end] == '\\' ? 2 : 1;
  return std::string(dn.substr(eq + 1, std::min(end, dn.size()) - eq - 1));
}

// The argument of `flag` ("l" or "q") on the last echoed setspn command line before line
// index `before`, e.g. "C:\>setspn -F -Q SMTPSVC/*" -> "SMTPSVC/*". Empty when not echoed.
std::string EchoedArgument(const std::vector<Line>& lines, size_t before, char flag) {
  for (size_t i = std::min(before, lines.size()); i-- > 0;) {
    const std::string lower = absl::AsciiStrToLower(lines[i].text);
    size_t at = lower.find("setspn");
    if (at == std::string::npos) continue;
    std::vector<absl::string_view> tokens = absl::StrSplit(
        absl::string_view(lines[i].text).substr(at), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    for (size_t t = 1; t < tokens.size(); ++t) {
      absl::string_view tok = tokens[t];
      if (tok.size() != 2 || (tok[0] != '-' && tok[0] != '/')) continue;
      const char f = absl::ascii_tolower(static_cast<unsigned char>(tok[1]));
      if (f == 't' || f == 'd' || f == 's' || f == 'a') {
        ++t;  // these flags take their own argument
        continue;
      }
      if (f != flag) continue;
      for (size_t a = t + 1; a < tokens.size(); ++a) {
        absl::string_view arg = tokens[a];
        if (arg.size() == 2 && (arg[0] == '-' || arg[0] == '/')) continue;
        if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"') {
          arg = arg.substr(1, arg.size() - 2);
        }
        return std::string(arg);
      }
    }
    return "";
  }
  return "";
}

// A line a failing setspn prints instead of its output, to quote in the error.
std::optional<Line> ToolFailureLine(const std::vector<Line>& lines) {
  for (const Line& line : lines) {
    const std::string lower = absl::AsciiStrToLower(line.text);
    if (absl::StrContains(lower, "could not find account") ||
        absl::StrContains(lower, "failed with return value") ||
        absl::StrContains(lower, "ldap_search failed") || absl::StrContains(lower, "error 0x")) {
      return line;
    }
  }
  return std::nullopt;
}

absl::Status MissingOutput(absl::string_view file, const std::vector<Line>& lines,
                           absl::string_view what) {
  if (lines.empty()) return ParseError(file, 0, "empty file");
  if (auto failure = ToolFailureLine(lines)) {
    return ParseError(file, failure->number,
                      absl::StrCat("setspn failed: ", absl::StripAsciiWhitespace(failure->text)));
  }
  return ParseError(file, 0, absl::StrCat("no ", what, " line: not setspn output"));
}

// "Checking domain DC=x" / "Checking forest DC=x" -> scope, forest.
bool ParseChecking(absl::string_view line, std::string* scope, bool* forest) {
  line = absl::StripAsciiWhitespace(line);
  for (absl::string_view kind : {"domain ", "forest "}) {
    const std::string prefix = absl::StrCat("Checking ", kind);
    if (absl::StartsWithIgnoreCase(line, prefix)) {
      *scope = std::string(absl::StripAsciiWhitespace(line.substr(prefix.size())));
      *forest = kind == "forest ";
      return true;
    }
  }
  return false;
}

bool IsKadminChangepw(absl::string_view spn) {
  return absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(spn), "kadmin/changepw");
}

}  // namespace

absl::StatusOr<v1::SpnListing> ParseSetspnList(absl::string_view text, absl::string_view file) {
  const std::vector<Line> lines = text::SplitLines(text);
  std::optional<size_t> header;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(lines[i].text), kListHeader)) {
      header = i;  // last one wins
    }
  }
  if (!header) return MissingOutput(file, lines, "'Registered ServicePrincipalNames for'");

  v1::SpnListing listing;
  // The prefix test above ran on the same left-stripped text, so the prefix is there.
  absl::string_view dn =
      absl::StripLeadingAsciiWhitespace(lines[*header].text).substr(kListHeader.size());
  dn = absl::StripTrailingAsciiWhitespace(dn);
  if (!absl::ConsumeSuffix(&dn, ":")) {
    return ParseError(file, lines[*header].number, "header does not end with ':'");
  }
  dn = absl::StripAsciiWhitespace(dn);
  if (dn.empty()) return ParseError(file, lines[*header].number, "header names no account");
  listing.set_account_dn(std::string(dn));
  std::string account = EchoedArgument(lines, *header, 'l');
  listing.set_account(account.empty() ? FirstRdnValue(dn) : account);

  for (size_t i = *header + 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i].text;
    if (IsBlank(line)) continue;
    if (!IsIndented(line)) break;  // prompt or the next command
    listing.add_spns(std::string(absl::StripAsciiWhitespace(line)));
  }
  return listing;
}

absl::StatusOr<v1::SpnDuplicates> ParseSetspnDuplicates(absl::string_view text,
                                                        absl::string_view file) {
  const std::vector<Line> lines = text::SplitLines(text);
  // The run ends at "found N group of duplicate SPNs."; the last such run wins.
  std::optional<size_t> footer;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(lines[i].text), "found ") &&
        absl::StrContains(absl::AsciiStrToLower(lines[i].text), "duplicate spn")) {
      footer = i;
    }
  }
  if (!footer) return MissingOutput(file, lines, "'found N group of duplicate SPNs'");

  // The run starts after the previous footer, if any.
  size_t start = 0;
  for (size_t i = 0; i < *footer; ++i) {
    if (absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(lines[i].text), "found ") &&
        absl::StrContains(absl::AsciiStrToLower(lines[i].text), "duplicate spn")) {
      start = i + 1;
    }
  }

  v1::SpnDuplicates result;
  {
    std::vector<absl::string_view> words = absl::StrSplit(
        absl::StripAsciiWhitespace(lines[*footer].text), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int count = 0;
    if (words.size() < 2 || !absl::SimpleAtoi(words[1], &count) || count < 0) {
      return ParseError(file, lines[*footer].number, "no group count after 'found'");
    }
    result.set_reported_group_count(count);
  }

  v1::SpnDuplicates::Group* group = nullptr;
  for (size_t i = start; i < *footer; ++i) {
    absl::string_view line = lines[i].text;
    if (IsBlank(line)) continue;
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    std::string scope;
    bool forest = false;
    if (ParseChecking(trimmed, &scope, &forest)) {
      result.set_scope(scope);
      result.set_forest(forest);
      group = nullptr;
      continue;
    }
    if (absl::StartsWithIgnoreCase(trimmed, "Operation will be performed forestwide")) {
      result.set_forest(true);
      continue;
    }
    if (absl::StartsWithIgnoreCase(trimmed, "Processing entry")) continue;
    if (absl::EndsWithIgnoreCase(trimmed, kDuplicateSuffix)) {
      group = result.add_groups();
      group->set_spn(std::string(
          absl::StripAsciiWhitespace(trimmed.substr(0, trimmed.size() - kDuplicateSuffix.size()))));
      group->set_by_design(IsKadminChangepw(group->spn()));
      continue;
    }
    if (IsIndented(line) && group != nullptr) {
      group->add_account_dns(std::string(trimmed));
      continue;
    }
    group = nullptr;  // an echo, a prompt or other noise ends a group
  }
  return result;
}

absl::StatusOr<v1::SpnQuery> ParseSetspnQuery(absl::string_view text, absl::string_view file) {
  const std::vector<Line> lines = text::SplitLines(text);
  std::optional<size_t> footer;
  bool found = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view t = absl::StripAsciiWhitespace(lines[i].text);
    if (absl::StartsWithIgnoreCase(t, "Existing SPN found")) {
      footer = i;
      found = true;
    } else if (absl::StartsWithIgnoreCase(t, "No such SPN found")) {
      footer = i;
      found = false;
    }
  }
  if (!footer) return MissingOutput(file, lines, "'Existing SPN found!' or 'No such SPN found.'");

  // The run starts at the first "Checking ..." line after the previous footer.
  size_t start = 0;
  for (size_t i = 0; i < *footer; ++i) {
    absl::string_view t = absl::StripAsciiWhitespace(lines[i].text);
    if (absl::StartsWithIgnoreCase(t, "Existing SPN found") ||
        absl::StartsWithIgnoreCase(t, "No such SPN found")) {
      start = i + 1;
    }
  }

  v1::SpnQuery result;
  result.set_found(found);
  result.set_pattern(EchoedArgument(lines, *footer, 'q'));
  v1::SpnQuery::Account* account = nullptr;
  bool have_scope = false;
  for (size_t i = start; i < *footer; ++i) {
    absl::string_view line = lines[i].text;
    if (IsBlank(line)) continue;
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    std::string scope;
    bool forest = false;
    if (ParseChecking(trimmed, &scope, &forest)) {
      if (!have_scope) {  // -T * checks several domains; the first names the scope
        result.set_scope(scope);
        result.set_forest(forest);
        have_scope = true;
      }
      account = nullptr;
      continue;
    }
    if (!IsIndented(line) && absl::StartsWithIgnoreCase(trimmed, "CN=")) {
      account = result.add_accounts();
      account->set_dn(std::string(trimmed));
      continue;
    }
    if (IsIndented(line) && account != nullptr) {
      account->add_spns(std::string(trimmed));
      continue;
    }
    account = nullptr;
  }
  if (found && result.accounts().empty()) {
    return ParseError(file, lines[*footer].number, "'Existing SPN found!' without any account");
  }
  return result;
}

}  // namespace kerbside::windows
