#include "common/kerberos/der.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kerbside::kerberos {
namespace {

absl::Status Bad(absl::string_view what, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", why));
}

std::string LengthOf(size_t n) {
  if (n < 0x80) return std::string(1, static_cast<char>(n));
  std::string bytes;
  for (size_t v = n; v > 0; v >>= 8) bytes.insert(bytes.begin(), static_cast<char>(v & 0xff));
  return std::string(1, static_cast<char>(0x80 | bytes.size())) + bytes;
}

}  // namespace

absl::StatusOr<DerElement> DerReader::Next() {
  if (in_.empty()) return Bad("DER", "unexpected end of data");
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(in_[i]); };
  DerElement e;
  e.tag_class = static_cast<TagClass>(byte(0) >> 6);
  e.constructed = (byte(0) & 0x20) != 0;
  size_t at = 1;
  if ((byte(0) & 0x1f) != 0x1f) {
    e.tag = byte(0) & 0x1f;
  } else {
    // High tag number: base 128, at most 4 bytes (28 bits) here.
    uint32_t tag = 0;
    for (int n = 0;; ++n) {
      if (at >= in_.size()) return Bad("DER", "truncated tag");
      if (n == 4) return Bad("DER", "tag number too large");
      tag = (tag << 7) | (byte(at) & 0x7f);
      if ((byte(at++) & 0x80) == 0) break;
    }
    if (tag < 0x1f) return Bad("DER", "high-form tag for a low tag number");
    e.tag = tag;
  }
  if (at >= in_.size()) return Bad("DER", "truncated length");
  size_t length = byte(at++);
  if (length == 0x80) return Bad("DER", "indefinite length (not DER)");
  if (length > 0x80) {
    const size_t n = length & 0x7f;
    if (n > 4) return Bad("DER", "length of more than 4 bytes");
    if (at + n > in_.size()) return Bad("DER", "truncated length");
    if (byte(at) == 0) return Bad("DER", "non-minimal length");
    length = 0;
    for (size_t i = 0; i < n; ++i) length = (length << 8) | byte(at++);
    if (length < 0x80) return Bad("DER", "non-minimal length");
  }
  if (length > in_.size() - at) {
    return Bad("DER",
               absl::StrCat("element of ", length, " bytes where ", in_.size() - at, " remain"));
  }
  e.content = in_.substr(at, length);
  in_.remove_prefix(at + length);
  return e;
}

absl::StatusOr<DerElement> DerReader::Expect(TagClass c, uint32_t tag, bool constructed,
                                             const char* what) {
  auto e = Next();
  if (!e.ok()) return Bad(what, e.status().message());
  if (e->tag_class != c || e->tag != tag || e->constructed != constructed) {
    return Bad(what, absl::StrCat("unexpected tag (class ", static_cast<int>(e->tag_class),
                                  ", number ", e->tag, ")"));
  }
  return e;
}

absl::StatusOr<bool> DerReader::NextIsContext(uint32_t n) {
  if (in_.empty()) return false;
  DerReader probe(in_);
  auto e = probe.Next();
  if (!e.ok()) return e.status();
  return e->tag_class == TagClass::kContext && e->constructed && e->tag == n;
}

absl::StatusOr<int64_t> DerInteger(const DerElement& e, const char* what) {
  if (e.tag_class != TagClass::kUniversal || e.tag != kInteger || e.constructed) {
    return Bad(what, "not an INTEGER");
  }
  if (e.content.empty() || e.content.size() > 8) {
    return Bad(what, absl::StrCat("INTEGER of ", e.content.size(), " bytes"));
  }
  uint64_t v = (static_cast<uint8_t>(e.content[0]) & 0x80) ? ~uint64_t{0} : 0;
  for (char c : e.content) v = (v << 8) | static_cast<uint8_t>(c);
  return static_cast<int64_t>(v);
}

absl::StatusOr<std::string> DerString(const DerElement& e, const char* what) {
  if (e.tag_class != TagClass::kUniversal || e.constructed ||
      (e.tag != kGeneralString && e.tag != kOctetString)) {
    return Bad(what, "not a GeneralString");
  }
  return std::string(e.content);
}

absl::StatusOr<absl::Time> DerKerberosTime(const DerElement& e, const char* what) {
  if (e.tag_class != TagClass::kUniversal || e.tag != kGeneralizedTime || e.constructed) {
    return Bad(what, "not a GeneralizedTime");
  }
  const absl::string_view s = e.content;
  // RFC 4120 §5.2.3: exactly "YYYYMMDDHHMMSSZ".
  if (s.size() != 15 || s.back() != 'Z')
    return Bad(what, absl::StrCat("'", s, "' is not a KerberosTime"));
  for (size_t i = 0; i < 14; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
      return Bad(what, absl::StrCat("'", s, "' is not a KerberosTime"));
    }
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  (void)absl::SimpleAtoi(s.substr(0, 4), &year);
  (void)absl::SimpleAtoi(s.substr(4, 2), &month);
  (void)absl::SimpleAtoi(s.substr(6, 2), &day);
  (void)absl::SimpleAtoi(s.substr(8, 2), &hour);
  (void)absl::SimpleAtoi(s.substr(10, 2), &minute);
  (void)absl::SimpleAtoi(s.substr(12, 2), &second);
  const absl::CivilSecond cs(year, month, day, hour, minute, second);
  if (cs.year() != year || cs.month() != month || cs.day() != day || cs.hour() != hour ||
      cs.minute() != minute || cs.second() != second) {
    return Bad(what, absl::StrCat("'", s, "' is not a valid date and time"));
  }
  return absl::FromCivil(cs, absl::UTCTimeZone());
}

std::string DerTlv(TagClass c, bool constructed, uint32_t tag, absl::string_view content) {
  std::string out;
  const uint8_t first =
      static_cast<uint8_t>((static_cast<uint8_t>(c) << 6) | (constructed ? 0x20 : 0));
  if (tag < 0x1f) {
    out.push_back(static_cast<char>(first | tag));
  } else {
    out.push_back(static_cast<char>(first | 0x1f));
    std::string t;
    for (uint32_t v = tag; v > 0; v >>= 7) {
      t.insert(t.begin(), static_cast<char>((v & 0x7f) | (t.empty() ? 0 : 0x80)));
    }
    out += t;
  }
  out += LengthOf(content.size());
  out.append(content.data(), content.size());
  return out;
}

std::string DerSequence(absl::string_view content) {
  return DerTlv(TagClass::kUniversal, true, kSequence, content);
}
std::string DerContext(uint32_t n, absl::string_view element) {
  return DerTlv(TagClass::kContext, true, n, element);
}
std::string DerApplication(uint32_t n, absl::string_view element) {
  return DerTlv(TagClass::kApplication, true, n, element);
}

std::string DerIntegerOf(int64_t v) {
  std::string bytes;
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) {
    bytes.insert(bytes.begin(), static_cast<char>(u & 0xff));
    u >>= 8;
  }
  // Minimal two's complement: drop leading bytes that only repeat the sign.
  while (bytes.size() > 1) {
    const uint8_t b0 = static_cast<uint8_t>(bytes[0]), b1 = static_cast<uint8_t>(bytes[1]);
    if ((b0 == 0x00 && (b1 & 0x80) == 0) || (b0 == 0xff && (b1 & 0x80) != 0)) {
      bytes.erase(bytes.begin());
    } else {
      break;
    }
  }
  return DerTlv(TagClass::kUniversal, false, kInteger, bytes);
}

std::string DerGeneralString(absl::string_view s) {
  return DerTlv(TagClass::kUniversal, false, kGeneralString, s);
}

std::string DerKerberosTimeOf(absl::Time t) {
  return DerTlv(TagClass::kUniversal, false, kGeneralizedTime,
                absl::FormatTime("%Y%m%d%H%M%SZ", t, absl::UTCTimeZone()));
}

std::string DerBitString32(uint32_t bits) {
  std::string content(1, '\0');  // no unused bits
  for (int shift = 24; shift >= 0; shift -= 8)
    content.push_back(static_cast<char>((bits >> shift) & 0xff));
  return DerTlv(TagClass::kUniversal, false, kBitString, content);
}

}  // namespace kerbside::kerberos
