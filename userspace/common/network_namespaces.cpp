#include "common/network_namespaces.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "common/log.h"

namespace observer {
namespace {
// thread-self, not self: setns() is per thread, and the process's main
// thread may be elsewhere than the thread asking.
constexpr const char *kOwnNamespace = "/proc/thread-self/ns/net";
}  // namespace

NamespaceList list_network_namespaces(const std::string &dir, bool processes) {
  NamespaceList list;
  auto &out = list.namespaces;
  std::set<uint32_t> seen;
  auto add = [&](const std::string &name, const std::string &path, bool self) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st{};
    if (!fd || fstat(fd.get(), &st) != 0) return;
    const auto inode = static_cast<uint32_t>(st.st_ino);
    if (!seen.insert(inode).second) return;
    out.push_back({name, std::move(fd), inode, self});
  };
  add("self", kOwnNamespace, true);
  if (!dir.empty()) {
    if (DIR *d = opendir(dir.c_str())) {
      while (const dirent *e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        add(e->d_name, dir + "/" + e->d_name, false);
      }
      closedir(d);
    }
  }
  if (!processes) return list;
  DIR *proc = opendir("/proc");
  if (!proc) {
    list.complete = false;
    return list;
  }
  while (const dirent *e = readdir(proc)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    const std::string path = std::string("/proc/") + e->d_name + "/ns/net";
    // stat first: most processes share a few namespaces, and only a new one
    // is worth an open.
    struct stat st{};
    if (stat(path.c_str(), &st) != 0) {
      if (errno == EACCES || errno == EPERM) list.complete = false;  // ENOENT: it just exited
      continue;
    }
    if (seen.count(static_cast<uint32_t>(st.st_ino))) continue;
    add(std::string("pid:") + e->d_name, path, false);
  }
  closedir(proc);
  return list;
}

NamespaceVisit run_in_network_namespace(const NetworkNamespace &ns, const std::function<void()> &work) {
  if (ns.self) {
    work();
    return {};
  }
  // Open the way back before leaving: without it we could not return.
  UniqueFd home(open(kOwnNamespace, O_RDONLY | O_CLOEXEC));
  if (!home) return {NamespaceVisit::Outcome::cannot_enter, errno};
  if (setns(ns.fd.get(), CLONE_NEWNET) != 0) return {NamespaceVisit::Outcome::cannot_enter, errno};
  work();
  if (setns(home.get(), CLONE_NEWNET) != 0) return {NamespaceVisit::Outcome::cannot_return, errno};
  return {};
}

NamespaceVisit NamespaceWalker::visit(const NetworkNamespace &ns, const std::function<void()> &work) const {
  const NamespaceVisit visit = run_in_network_namespace(ns, work);
  if (visit.outcome == NamespaceVisit::Outcome::cannot_return) {
    log::error(component_, std::string("cannot return to the daemon's network namespace: ") + std::strerror(visit.error));
  }
  return visit;
}

void NamespaceWalker::say_denied() {
  if (!denied_said_.exchange(true)) {
    log::info(component_, "no permission to enter other network namespaces (CAP_SYS_ADMIN); " + without_others_);
  }
}

}  // namespace observer
