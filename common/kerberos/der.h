#ifndef KERBSIDE_COMMON_KERBEROS_DER_H_
#define KERBSIDE_COMMON_KERBEROS_DER_H_

// The part of ASN.1 DER that Kerberos messages (RFC 4120 §5) use: definite lengths, low and
// high tag numbers, INTEGER, GeneralizedTime, GeneralString, OCTET STRING, BIT STRING and
// SEQUENCE. Reading is bounded by its input and refuses what DER forbids (indefinite or
// non-minimal lengths); writing produces DER.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kerbside::kerberos {

enum class TagClass : uint8_t { kUniversal = 0, kApplication = 1, kContext = 2, kPrivate = 3 };

struct DerElement {
  TagClass tag_class = TagClass::kUniversal;
  bool constructed = false;
  uint32_t tag = 0;
  absl::string_view content;
};

// Universal tags used here.
inline constexpr uint32_t kInteger = 2, kBitString = 3, kOctetString = 4, kObjectId = 6,
                          kSequence = 16, kGeneralizedTime = 24, kGeneralString = 27;

// Reads elements one after another from `in` (which it does not own).
class DerReader {
 public:
  explicit DerReader(absl::string_view in) : in_(in) {}
  bool done() const { return in_.empty(); }
  absl::StatusOr<DerElement> Next();
  // The next element, which must have this class, tag and form.
  absl::StatusOr<DerElement> Expect(TagClass c, uint32_t tag, bool constructed, const char* what);
  // The next element if it is the context tag [n] (constructed); nothing consumed otherwise.
  absl::StatusOr<bool> NextIsContext(uint32_t n);
  // What has not been read yet.
  absl::string_view remaining() const { return in_; }

 private:
  absl::string_view in_;
};

// Values. Each names `what` in its error.
absl::StatusOr<int64_t> DerInteger(const DerElement& e, const char* what);
absl::StatusOr<std::string> DerString(const DerElement& e, const char* what);  // GeneralString
absl::StatusOr<absl::Time> DerKerberosTime(const DerElement& e, const char* what);

// Writing: each returns a complete element.
std::string DerTlv(TagClass c, bool constructed, uint32_t tag, absl::string_view content);
std::string DerSequence(absl::string_view content);
std::string DerContext(uint32_t n, absl::string_view element);  // [n] EXPLICIT
std::string DerApplication(uint32_t n, absl::string_view element);
std::string DerIntegerOf(int64_t v);
std::string DerGeneralString(absl::string_view s);
std::string DerKerberosTimeOf(absl::Time t);  // "YYYYMMDDHHMMSSZ", whole seconds
std::string DerBitString32(uint32_t bits);    // KDCOptions, APOptions: 32 bits, none unused

}  // namespace kerbside::kerberos

#endif  // KERBSIDE_COMMON_KERBEROS_DER_H_
