#ifndef KERBSIDE_COMMON_KERBEROS_KRB_CODES_H_
#define KERBSIDE_COMMON_KERBEROS_KRB_CODES_H_

// RFC 4120 §7.5.9 protocol error numbers the rules and probes read, named once. Windows event
// facts carry them in hex ("0x25"), as the parsers normalise them.
namespace kerbside::kerberos {

inline constexpr int kKdcErrCPrincipalUnknown = 6;  // the probe's made-up client: KDC answers
inline constexpr int kKdcErrSPrincipalUnknown = 7;  // no account holds the SPN
inline constexpr int kKdcErrPreauthRequired = 25;   // a known client without pre-auth
inline constexpr int kKrbApErrSkew = 37;            // 0x25: clocks further apart than allowed
inline constexpr int kKrbApErrModified = 41;        // 0x29: ticket not decryptable by the target

}  // namespace kerbside::kerberos

#endif  // KERBSIDE_COMMON_KERBEROS_KRB_CODES_H_
