#pragma once
// Owns every part of a running mptcp-observer and wires sources to views:
//
//   BPF ring buffer --(bpf-events thread)--> ConnectionTable --> EventHub
//   path manager    --(pm-events thread)---> ConnectionTable --> EventHub
//   sock_diag       --(reconciler thread)--> ConnectionTable --> EventHub
//   checker HttpServer (public), admin HttplibServer (loopback) read both.
#include <memory>
#include <string>

#include "http/http_server.h"
#include "http/httplib_server.h"
#include "options.h"
#include "sources/bpf/bpf_subflow_source.h"
#include "sources/getsockopt/mptcp_status.h"
#include "sources/pm_netlink/pm_netlink_source.h"
#include "sources/procfs/host_sampler.h"
#include "table/connection_table.h"
#include "table/event_hub.h"
#include "table/reconciler.h"
#include "views/admin/connection_diagnosis.h"
#include "views/checker/checker_routes.h"
#include "views/metrics/observer_metrics.h"

namespace observer {

inline constexpr size_t kMaxEventStreams = 8;

class Daemon {
 public:
  explicit Daemon(const Options &options);
  ~Daemon();
  // Opens listeners and starts every source; false (and a logged line) when
  // the daemon cannot serve at all.
  bool start();
  void stop();
  // SIGHUP: loads --tls-cert and --tls-key again for new HTTPS connections;
  // a pair that does not load is logged, and the one in use stays.
  void reload_tls();

 private:
  bool load_tls();
  void note_certificate(bool reload) const;
  // Raises the open-file limit, and holds --max-connections under it.
  void fit_connections_to_open_files();
  bool open_checker();
  bool open_admin();
  bool open_metrics_listener();
  void start_bpf();
  void start_reconciler();
  void start_path_manager_events();
  // Merges an event into the table (which completes it), then publishes it
  // and what it implies.
  void on_event(MptcpEvent &event);
  void publish(const MptcpEvent &event);
  // What each source is doing now, for /metrics and the admin /healthz.
  SourceHealth source_health() const;
  std::vector<metrics::HttpServerFigures> http_server_figures() const;
  bool checker_speaks_mptcp() const;
  // The checker's own connection goes into the table (source getsockopt),
  // and the status gains each subflow's handshake time and backup flag when
  // BPF or a snapshot saw them; returns when the connection began, if known.
  checker::ConnectionContext merge_checker_status(MptcpStatus &status);
  // What the admin API's diagnosis knows of this namespace, read per page.
  admin::LocalSetup admin_local_setup() const;

  Options options_;
  uint32_t own_netns_;
  LockedConnectionTable table_;
  EventHub hub_{kMaxEventStreams};
  // The host counters and path manager behind the checker's diagnoses,
  // shared by its event loops (declared first: it outlives them); only
  // while the checker speaks MPTCP.
  std::unique_ptr<procfs::HostSampler> host_sampler_;
  std::shared_ptr<http::TlsContextSlot> tls_;  // null without --listen-tls
  std::unique_ptr<http::HttpServer> checker_;
  std::unique_ptr<http::HttpServer> metrics_server_;  // --metrics-listen
  std::unique_ptr<http::HttplibServer> admin_;
  std::unique_ptr<bpf::BpfSubflowSource> bpf_;
  std::string bpf_inactive_reason_;
  std::unique_ptr<pm::PmNetlinkSource> pm_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<metrics::ObserverMetrics> metrics_;
};

}  // namespace observer
