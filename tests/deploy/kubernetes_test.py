#!/usr/bin/python3
"""The Kubernetes manifests carry what a platform review asks for, and every
place that grants the daemon capabilities grants the same ones.

Parses deploy/kubernetes/*.yaml (PyYAML, Debian's python3-yaml) and checks:
a pinned image tag equal to the project version, IfNotPresent, a toleration
for every taint, the PriorityClass it names, no service-account token,
securityContext (drop ALL, the kept capabilities and no others, no privilege
escalation, read-only root), resource requests and limits, probes on the
admin listener, the PodMonitor selecting the pods with job="mptcp-observer";
then that the Dockerfile's file capabilities, the README's docker run and the
systemd unit grant that same set (the unit adds CAP_SYS_PTRACE: it runs in
the host's PID namespace, see deploy/systemd/mptcp-observer.service).

Usage: kubernetes_test.py REPO_ROOT. Prints one line per check, exits 1 on
any failure.
"""
import pathlib
import re
import sys

import yaml

# What the daemon needs at start-up in a container (README: In a container).
KEPT = {"BPF", "PERFMON", "NET_ADMIN", "SYS_ADMIN"}

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
failures = []
passed = 0


def check(what, ok, detail=""):
    global passed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failures.append(what)
        print(f"FAIL {what}{': ' + detail if detail else ''}")


def load(name):
    return [d for d in yaml.safe_load_all((root / "deploy/kubernetes" / name).read_text()) if d]


def comment_before(path, text):
    """The lines of comment directly above the first line holding text."""
    lines = (root / path).read_text().splitlines()
    i = next(n for n, line in enumerate(lines) if text in line)
    out = []
    while i > 0 and lines[i - 1].strip().startswith("#"):
        i -= 1
        out.append(lines[i])
    return out


version = re.search(r"project\(mptcp-observer VERSION ([0-9.]+)", (root / "CMakeLists.txt").read_text()).group(1)

(ds,) = load("daemonset.yaml")
(pc,) = load("priorityclass.yaml")
(sa,) = load("serviceaccount.yaml")
(pm,) = load("podmonitor.yaml")
(kz,) = load("kustomization.yaml")
pod = ds["spec"]["template"]["spec"]
(c,) = pod["containers"]
sc = c.get("securityContext", {})
labels = ds["spec"]["template"]["metadata"]["labels"]

check("DaemonSet in kube-system", ds["kind"] == "DaemonSet" and ds["metadata"]["namespace"] == "kube-system")
check(f"image pinned to the project version {version}", c["image"] == f"mptcp-observer:{version}", c["image"])
check("kustomization pins the same tag", kz["images"][0]["newTag"] == version)
check("imagePullPolicy IfNotPresent", c.get("imagePullPolicy") == "IfNotPresent")
check("tolerates every taint", {"operator": "Exists"} in pod.get("tolerations", []))
check("priorityClassName names the PriorityClass", pod.get("priorityClassName") == pc["metadata"]["name"])
check("PriorityClass above workloads, below system-*", 0 < pc["value"] < 1_000_000_000 and not pc["globalDefault"])
check("kustomization applies the DaemonSet, ServiceAccount and PriorityClass",
      set(kz["resources"]) == {"daemonset.yaml", "serviceaccount.yaml", "priorityclass.yaml"})
check("no service-account token in the pod", pod.get("automountServiceAccountToken") is False)
check("its ServiceAccount mounts none either",
      pod.get("serviceAccountName") == sa["metadata"]["name"] and sa.get("automountServiceAccountToken") is False)
check("host network (the checker owns the client's socket)", pod.get("hostNetwork") is True)
check("no hostPID (see the DaemonSet's comment)", not pod.get("hostPID"))
check("capabilities: drop ALL", sc.get("capabilities", {}).get("drop") == ["ALL"])
added = sc.get("capabilities", {}).get("add", [])
check(f"capabilities added are exactly {sorted(KEPT)}", set(added) == KEPT and len(added) == len(KEPT), str(added))
for cap in sorted(KEPT):
    check(f"capability {cap} has a comment saying why",
          len(comment_before("deploy/kubernetes/daemonset.yaml", f"- {cap}")) > 0)
check("allowPrivilegeEscalation: false", sc.get("allowPrivilegeEscalation") is False)
check("readOnlyRootFilesystem: true", sc.get("readOnlyRootFilesystem") is True)
check("not privileged", not sc.get("privileged"))
check("runAsNonRoot false is explained",
      sc.get("runAsNonRoot") is True
      or any("runAsNonRoot" in line for line in comment_before("deploy/kubernetes/daemonset.yaml", "runAsUser:")))
check("seccomp RuntimeDefault", sc.get("seccompProfile", {}).get("type") == "RuntimeDefault")
res = c.get("resources", {})
check("cpu and memory requests", {"cpu", "memory"} <= set(res.get("requests", {})))
check("memory limit", "memory" in res.get("limits", {}))
check("resources justified from docs/benchmarks.md",
      any("benchmarks.md" in line for line in comment_before("deploy/kubernetes/daemonset.yaml", "resources:")))
for probe in ("readinessProbe", "livenessProbe"):
    get = c.get(probe, {}).get("httpGet", {})
    check(f"{probe} on the admin listener's /healthz (not the checker: a fallback per probe)",
          get.get("host") == "127.0.0.1" and get.get("port") == 8685 and get.get("path") == "/healthz")
annotations = ds["spec"]["template"]["metadata"]["annotations"]
args = c.get("args", [])
check("--metrics-listen on 9684: Prometheus' home on plain TCP, not the checker's MPTCP port",
      "--metrics-listen=[::]:9684" in args)
check("prometheus.io annotations point at it", annotations.get("prometheus.io/scrape") == "true"
      and annotations.get("prometheus.io/port") == "9684")
check("PodMonitor selects the DaemonSet's pods", pm["kind"] == "PodMonitor"
      and all(labels.get(k) == v for k, v in pm["spec"]["selector"]["matchLabels"].items()))
check('PodMonitor job is "mptcp-observer" (alerts.yml)', labels.get(pm["spec"].get("jobLabel")) == "mptcp-observer")
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
endpoint = pm["spec"]["podMetricsEndpoints"][0]
check("PodMonitor scrapes the metrics listener's /metrics", ports.get(endpoint["port"]) == 9684
      and endpoint.get("path") == "/metrics")

# Every other place that grants capabilities grants the same set.
dockerfile = (root / "Dockerfile").read_text()
m = re.search(r"setcap\s+'?([a-z_,]+)[=+]", dockerfile)
file_caps = {cap.upper().removeprefix("CAP_") for cap in m.group(1).split(",")} if m else set()
check("Dockerfile's file capabilities are the kept set", file_caps == KEPT, str(sorted(file_caps)))
m = re.search(r"^ARG VERSION=(\S+)", dockerfile, re.M)
check("Dockerfile's image version label is the project version", bool(m) and m.group(1) == version)
check("Dockerfile runs as a non-root user", re.search(r"^USER 65532", dockerfile, re.M) is not None)
readme = (root / "README.md").read_text()
for block in re.findall(r"docker run[^\n]*(?:\\\n[^\n]*)*", readme):
    cap_add = set(re.findall(r"--cap-add[ =]([A-Z_]+)", block))
    if cap_add:
        check("README's docker run adds the kept set", cap_add == KEPT, str(sorted(cap_add)))
unit = (root / "deploy/systemd/mptcp-observer.service").read_text()
for key in ("AmbientCapabilities", "CapabilityBoundingSet"):
    m = re.search(rf"^{key}=(.*)$", unit, re.M)
    got = {cap.removeprefix("CAP_") for cap in m.group(1).split()} if m else set()
    check(f"systemd unit's {key} is the kept set and SYS_PTRACE", got == KEPT | {"SYS_PTRACE"}, str(sorted(got)))

print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
