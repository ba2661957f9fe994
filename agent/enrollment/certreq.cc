#include "agent/enrollment/certreq.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kerbside::agent {
namespace {

constexpr absl::string_view kIssued = "Certificate retrieved(Issued)";
constexpr absl::string_view kPending = "Certificate request is pending:";
constexpr absl::string_view kDenied = "Certificate not issued";
constexpr absl::string_view kRequestId = "RequestId:";

}  // namespace

absl::StatusOr<CertreqOutcome> ParseCertreqOutput(absl::string_view text) {
  CertreqOutcome out;
  bool decided = false;
  std::vector<std::string> lines;
  std::vector<std::string> after;  // lines after the disposition: the CA's explanation goes on
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty()) continue;
    lines.emplace_back(line);
    if (decided) {
      after.emplace_back(line);
      continue;
    }
    // Printed twice, bare and quoted: RequestId: 7 / RequestId: "7".
    if (absl::StartsWith(line, kRequestId)) continue;
    if (absl::ConsumePrefix(&line, kIssued)) {
      out.disposition = CertreqDisposition::kIssued;
      absl::ConsumePrefix(&line, " Issued");
    } else if (absl::ConsumePrefix(&line, kPending)) {
      out.disposition = CertreqDisposition::kPending;
    } else if (absl::ConsumePrefix(&line, kDenied)) {
      out.disposition = CertreqDisposition::kDenied;
    } else {
      continue;
    }
    decided = true;
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) after.emplace_back(line);
  }
  if (!decided) {
    return absl::UnavailableError(
        lines.empty() ? std::string("certreq printed nothing")
                      : absl::StrCat("certreq names no disposition: ", absl::StrJoin(lines, " ")));
  }
  out.message = absl::StrJoin(after, " ");
  out.request_id = FindCertreqRequestId(text);
  return out;
}

std::string FindCertreqRequestId(absl::string_view text) {
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (!absl::ConsumePrefix(&line, kRequestId)) continue;
    std::string id(absl::StripAsciiWhitespace(line));
    id.erase(std::remove(id.begin(), id.end(), '"'), id.end());
    if (!id.empty() &&
        std::all_of(id.begin(), id.end(), [](char c) { return absl::ascii_isdigit(c); })) {
      return id;
    }
  }
  return "";
}

std::vector<std::string> CertreqSubmitArgv(const std::string& command, const std::string& ca,
                                           const std::string& template_name,
                                           const std::string& csr_path,
                                           const std::string& cert_path) {
  return {command,   "-submit", "-q",      "-f",
          "-config", ca,        "-attrib", absl::StrCat("CertificateTemplate:", template_name),
          csr_path,  cert_path};
}

std::vector<std::string> CertreqRetrieveArgv(const std::string& command, const std::string& ca,
                                             const std::string& request_id,
                                             const std::string& cert_path) {
  return {command, "-retrieve", "-q", "-f", "-config", ca, request_id, cert_path};
}

}  // namespace kerbside::agent
