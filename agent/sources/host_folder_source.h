#ifndef KERBSIDE_AGENT_SOURCES_HOST_FOLDER_SOURCE_H_
#define KERBSIDE_AGENT_SOURCES_HOST_FOLDER_SOURCE_H_

#include <string>

#include "agent/sources/source.h"

namespace kerbside::agent {

// Reads a folder in the support-bundle layout for this host (what
// deploy/windows/Collect-KerbsideBundle.ps1 writes on a schedule, or a hand-collected folder)
// with the bundle parsers. A broken file is reported as that file's problem (health DEGRADED);
// the rest still flows.
class HostFolderSource : public Source {
 public:
  HostFolderSource(std::string folder, std::string host, absl::Duration interval)
      : folder_(std::move(folder)), host_(std::move(host)), interval_(interval) {}
  std::string id() const override { return "host_folder"; }
  absl::Duration interval() const override { return interval_; }
  v1::EvidenceBatch Collect(absl::Time now) override;

 private:
  std::string folder_;
  std::string host_;
  absl::Duration interval_;
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_HOST_FOLDER_SOURCE_H_
