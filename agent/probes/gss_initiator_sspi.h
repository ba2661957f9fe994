#ifndef KERBSIDE_AGENT_PROBES_GSS_INITIATOR_SSPI_H_
#define KERBSIDE_AGENT_PROBES_GSS_INITIATOR_SSPI_H_

// Windows: GSS-API-compatible contexts from SSPI's Kerberos package with the process's own
// credentials (the machine account when the agent runs as LocalSystem).

#include "agent/probes/gss_initiator.h"

namespace kerbside::agent::probes {

// How EncryptMessage/DecryptMessage carry an RFC 4121 wrap token.
enum class SspiWrapLayout {
  // Windows: DecryptMessage takes the whole token as SECBUFFER_STREAM and points a
  // SECBUFFER_DATA at the plaintext; EncryptMessage fills TOKEN, DATA, PADDING, sent in that
  // order.
  kWindows,
  // Wine 8: DecryptMessage runs gss_unwrap on DATA followed by TOKEN and copies as many
  // plaintext bytes back as DATA holds; EncryptMessage puts gss_wrap's output into DATA (its
  // first bytes) and TOKEN (the rest), so the wire order is DATA, TOKEN. No STREAM buffer.
  kWine8,
};

// The caller says which layout applies (win::RunningUnderWine() in the agent).
GssInitiatorFactory SspiGssInitiatorFactory(SspiWrapLayout layout);

}  // namespace kerbside::agent::probes

#endif  // KERBSIDE_AGENT_PROBES_GSS_INITIATOR_SSPI_H_
