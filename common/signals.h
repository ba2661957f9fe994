#ifndef KERBSIDE_COMMON_SIGNALS_H_
#define KERBSIDE_COMMON_SIGNALS_H_

#include <functional>
#include <thread>

namespace kerbside {

// Blocks SIGTERM and SIGINT in the calling thread. Call it first in main, before anything
// (gRPC initialisation included) starts a thread: threads inherit the mask, so the signals can
// only reach the waiter below instead of killing the process from some library thread.
void BlockTerminationSignals();

// Ignores SIGPIPE for the whole process, as network daemons do. OpenSSL's socket BIO, libkrb5's
// TCP sends and libldap write with plain write()/writev(): a write to a peer that reset the
// connection (an SMTP peer restarting mid-probe) would otherwise end the process silently, with
// no log line and no crash report. With the signal ignored the write fails with EPIPE and the
// probe reports it. Windows has no SIGPIPE (Winsock returns WSAECONNRESET): a no-op there.
void IgnoreBrokenPipes();

// Starts a thread that waits for SIGTERM or SIGINT and then runs `on_signal(signo)` once.
std::thread WaitForTerminationSignal(std::function<void(int)> on_signal);

// Makes the waiter above run as for SIGTERM: how a Windows service stop, or a test, asks the
// process to end the same way a signal does.
void RaiseTermination();

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_SIGNALS_H_
