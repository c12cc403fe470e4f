#!/usr/bin/env python3
"""Attacks on the checker's HTTP server, one subcommand each.

Every subcommand runs one attack against the daemon (--host/--port, the
checker; --admin, where /metrics is read) and prints one JSON object on one
line: what the attack saw (status codes, counts, times) and what happened to
the daemon meanwhile and afterwards. It asserts nothing: the integration
test (tests/integration/checker_abuse_test.sh) holds the expectations.

While an attack runs, a monitor (threads, so that it keeps its own pace
whatever the attack does to this process's event loop):
  - samples VmRSS and VmHWM of the daemon (--pid) every 20 ms, and kills it
    (SIGKILL) if VmRSS exceeds --rss-kill-mib: an unfixed attack must not
    take the machine down;
  - sends a fresh `GET /` over plain TCP every --probe-every seconds from
    --probe-source, and notes whether it got 200 and the verdict line
    within --probe-timeout;
  - reads mptcp_observer_http_connections_open{server="checker"} every
    second.
Afterwards it waits (at most --release-timeout) for that gauge to come back
to its value before the attack, then reads VmRSS again, and the counters
mptcp_observer_http_connections_total and mptcp_observer_http_refusals_total
(reported as differences; a series the daemon does not export is absent).

Every loop is bounded in count and in time. Python 3 standard library only.
"""
import argparse
import asyncio
import json
import os
import re
import resource
import select
import signal
import socket
import threading
import time

IPPROTO_MPTCP = getattr(socket, "IPPROTO_MPTCP", 262)
VERDICT_LINE = b"You are not using MPTCP."
KIB = 1024
MIB = 1024 * 1024

now = time.monotonic


# ---------------------------------------------------------------------------
# HTTP bits: a request's bytes, and an answer read from a socket.

def request(path, method="GET", headers=(), version="HTTP/1.1", host=True):
    lines = [f"{method} {path} {version}"]
    if host:
        lines.append("Host: checker")
    lines.extend(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_head(raw):
    """(status, {lower-case name: [values]}, first line) of a response head."""
    text = raw.decode("latin-1")
    lines = text.split("\r\n")
    status = None
    m = re.match(r"HTTP/\d(?:\.\d)? (\d{3})", lines[0])
    if m:
        status = int(m.group(1))
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            fields.setdefault(name.strip().lower(), []).append(value.strip())
    return status, fields, lines[0]


class Answer:
    """One response as read from a socket: head, a prefix of the body, sizes."""

    def __init__(self):
        self.status = None
        self.fields = {}
        self.status_line = None
        self.head_bytes = 0
        self.body_bytes = 0
        self.body_prefix = b""
        self.complete = False
        self.end = None  # "eof", "reset", "timeout", "complete", "cap"
        self.ms = None

    def field(self, name):
        values = self.fields.get(name.lower())
        return values[0] if values else None

    def first_line(self):
        return self.body_prefix.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1", "replace")

    def summary(self, with_body=True):
        out = {
            "status": self.status,
            "ms": self.ms,
            "end": self.end,
            "complete": self.complete,
            "head_bytes": self.head_bytes,
            "body_bytes": self.body_bytes,
            "connection": self.field("connection"),
        }
        if with_body:
            out["first_line"] = self.first_line()
        return out


def read_answer(sock, deadline, head_request=False, cap=256 * MIB, keep=4096):
    """Reads one response from a blocking socket until it is complete, the
    peer closes, `cap` body bytes came, or `deadline` (monotonic) passes."""
    a = Answer()
    start = now()
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            left = deadline - now()
            if left <= 0:
                a.end = "timeout"
                return _done(a, start)
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                a.end = "eof"
                if buf:
                    a.status, a.fields, a.status_line = parse_head(buf.split(b"\r\n\r\n")[0])
                return _done(a, start)
            buf += chunk
            if len(buf) > 1 * MIB:
                a.end = "cap"
                return _done(a, start)
        head, rest = buf.split(b"\r\n\r\n", 1)
        a.head_bytes = len(head) + 4
        a.status, a.fields, a.status_line = parse_head(head)
        length = a.field("content-length")
        length = int(length) if length is not None and length.isdigit() else None
        if head_request or a.status in (204, 304):
            length = 0
        a.body_prefix = rest[:keep]
        a.body_bytes = len(rest)
        while length is None or a.body_bytes < length:
            if a.body_bytes >= cap:
                a.end = "cap"
                return _done(a, start)
            left = deadline - now()
            if left <= 0:
                a.end = "timeout"
                return _done(a, start)
            sock.settimeout(left)
            chunk = sock.recv(262144)
            if not chunk:
                a.end = "eof"
                a.complete = length is None
                return _done(a, start)
            if len(a.body_prefix) < keep:
                a.body_prefix += chunk[: keep - len(a.body_prefix)]
            a.body_bytes += len(chunk)
        a.complete = a.body_bytes == length
        a.end = "complete"
    except socket.timeout:
        a.end = "timeout"
    except (ConnectionResetError, BrokenPipeError):
        a.end = "reset"
    except OSError as e:
        a.end = "error: " + e.strerror if e.strerror else "error"
    return _done(a, start)


def _done(a, start):
    a.ms = round((now() - start) * 1000)
    return a


def connect(host, port, source=None, timeout=3.0, mptcp=False, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP if mptcp else 0)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if source:
        s.bind((source, 0))
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def http_get(host, port, path, source=None, timeout=3.0, headers=("Connection: close",), mptcp=False,
             method="GET"):
    """One request on a fresh connection; the Answer, timed from connect."""
    start = now()
    deadline = start + timeout
    try:
        s = connect(host, port, source, timeout, mptcp)
    except OSError as e:
        a = Answer()
        a.end = "connect: " + (e.strerror or str(e))
        return _done(a, start)
    try:
        s.sendall(request(path, method, headers))
        a = read_answer(s, deadline, head_request=method == "HEAD")
    except OSError as e:
        a = Answer()
        a.end = "send: " + (e.strerror or str(e))
    finally:
        s.close()
    a.ms = round((now() - start) * 1000)
    return a


# ---------------------------------------------------------------------------
# The daemon, from outside: /proc and /metrics.

def proc_status(pid):
    """(VmRSS, VmHWM) in KiB, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    rss = re.search(r"^VmRSS:\s+(\d+)", text, re.M)
    hwm = re.search(r"^VmHWM:\s+(\d+)", text, re.M)
    if not rss or not hwm:
        return None  # a zombie has no memory lines
    return int(rss.group(1)), int(hwm.group(1))


SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(admin, timeout=3.0):
    """The checker's HTTP series from /metrics: {"open": n, "connections":
    {outcome: n}, "refusals": {reason: n}}, or None if /metrics did not answer."""
    host, port = admin
    a = None
    try:
        s = connect(host, port, timeout=timeout)
        s.sendall(request("/metrics", headers=("Connection: close",)))
        chunks = []
        s.settimeout(timeout)
        deadline = now() + timeout
        while now() < deadline:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
        s.close()
        a = b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return None
    out = {"open": None, "connections": {}, "refusals": {}}
    for line in a.split("\n"):
        if not line.startswith("mptcp_observer_http_"):
            continue
        m = SERIES.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), dict(LABEL.findall(m.group(2) or "")), float(m.group(3))
        if labels.get("server") != "checker":
            continue
        if name == "mptcp_observer_http_connections_open":
            out["open"] = int(value)
        elif name == "mptcp_observer_http_connections_total":
            out["connections"][labels.get("outcome", "?")] = int(value)
        elif name == "mptcp_observer_http_refusals_total":
            out["refusals"][labels.get("reason", "?")] = int(value)
    return out


def deltas(before, after):
    if not before or not after:
        return None
    return {k: after[k] - before.get(k, 0) for k in after}


class Monitor:
    """Memory samples, kill switch, probes and the open-connection gauge,
    each on its own thread while an attack runs."""

    def __init__(self, args, open_before):
        self.args = args
        self.open_before = open_before  # the open-connection gauge before the attack
        self.stop_flag = threading.Event()
        self.rss_max = 0
        self.hwm_max = 0
        self.killed = False
        self.killed_at_kib = None
        self.gone = False
        self.probes = []
        self.gauge = []  # (seconds since start, open)
        self.start_time = now()
        self.threads = [threading.Thread(target=f, daemon=True) for f in (self._sample, self._probe, self._gauge)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=self.args.probe_timeout + 5)

    def elapsed(self):
        return now() - self.start_time

    def _sample(self):
        limit = self.args.rss_kill_mib * KIB
        while not self.stop_flag.is_set():
            st = proc_status(self.args.pid)
            if st is None:
                self.gone = True
                return
            rss, hwm = st
            self.rss_max = max(self.rss_max, rss)
            self.hwm_max = max(self.hwm_max, hwm)
            if rss > limit and not self.killed:
                # The daemon would take the machine down: stop it here, the
                # test reports the figure it reached.
                os.kill(self.args.pid, signal.SIGKILL)
                self.killed = True
                self.killed_at_kib = rss
            self.stop_flag.wait(0.02)

    def _probe(self):
        a = self.args
        while not self.stop_flag.is_set() and not self.gone:
            t = self.elapsed()
            answer = http_get(a.host, a.port, "/", source=a.probe_source, timeout=a.probe_timeout)
            ok = answer.status == 200 and answer.first_line() == VERDICT_LINE.decode() and answer.complete
            self.probes.append({"t": round(t, 1), "ms": answer.ms, "status": answer.status, "ok": ok,
                                "end": answer.end, "first_line": answer.first_line()[:80]})
            self.stop_flag.wait(max(0.0, a.probe_every - (self.elapsed() - t)))

    def _gauge(self):
        while not self.stop_flag.is_set() and not self.gone:
            t = self.elapsed()
            m = scrape(self.args.admin)
            if m and m["open"] is not None:
                self.gauge.append((round(t, 1), m["open"]))
            self.stop_flag.wait(max(0.0, 1.0 - (self.elapsed() - t)))

    def probe_summary(self):
        failed = [p for p in self.probes if not p["ok"]]
        return {
            "count": len(self.probes),
            "failed": len(failed),
            "max_ms": max((p["ms"] for p in self.probes if p["ms"] is not None), default=None),
            "first_failures": failed[:3],
        }


def wait_release(args, open_before, timeout):
    """Seconds until the open-connection gauge is back to `open_before`
    (None if it is not, within `timeout`), and the last value read."""
    start = now()
    last = None
    while now() - start < timeout:
        m = scrape(args.admin)
        if m is None:
            return None, None
        last = m["open"]
        if last is not None and last <= open_before:
            return round(now() - start, 1), last
        time.sleep(0.2)
    return None, last


def run_attack(args, name, attack):
    before = scrape(args.admin)
    st = proc_status(args.pid)
    if before is None or st is None:
        print(json.dumps({"attack": name, "error": "daemon not running or /metrics not answering"}))
        return
    rss_before, hwm_before = st
    open_before = before["open"] or 0
    started = now()
    with Monitor(args, open_before) as mon:
        try:
            result = attack(args, mon)
        except Exception as e:  # reported, so the test says what broke
            result = {"error": f"{type(e).__name__}: {e}"}
    duration = round(now() - started, 1)
    alive = proc_status(args.pid) is not None
    release_s, open_after = (None, None)
    rss_after = None
    after = None
    if alive:
        release_s, open_after = wait_release(args, open_before, args.release_timeout)
        time.sleep(args.settle)
        st = proc_status(args.pid)
        rss_after = st[0] if st else None
        after = scrape(args.admin)
    # The peak: the largest RSS sampled, or the high-water mark if it rose
    # during this attack (a spike between two samples).
    peak = max(mon.rss_max, mon.hwm_max if mon.hwm_max > hwm_before else 0, mon.killed_at_kib or 0)
    out = {
        "attack": name,
        "seconds": duration,
        "rss_before_kib": rss_before,
        "hwm_before_kib": hwm_before,
        "rss_max_kib": mon.rss_max,
        "hwm_max_kib": mon.hwm_max,
        "peak_kib": peak,
        "rss_after_kib": rss_after,
        "killed": mon.killed,
        "alive_after": alive and not mon.killed,
        "open_before": open_before,
        "open_peak": max((g[1] for g in mon.gauge), default=None),
        "open_after": open_after,
        "release_s": release_s,
        "probes": mon.probe_summary(),
        "connections": deltas(before["connections"], after["connections"]) if after else None,
        "refusals": deltas(before["refusals"], after["refusals"]) if after else None,
        "result": result,
    }
    print(json.dumps(out))


# ---------------------------------------------------------------------------
# Sending a request that the server may answer (and close) before it is all
# sent: write and read together, bounded in time.

def exchange(args, payload, source, timeout=5.0, linger=1.0, chunk=16384, pause_after=None):
    """Sends `payload` while reading. Ends at EOF or reset, `linger` seconds
    after a complete answer, or `timeout`. If `pause_after` = (n, seconds):
    sends the first n bytes, then waits that long for an answer before the
    rest (to see whether the server answers before a body arrives)."""
    start = now()
    s = connect(args.host, args.port, source)
    s.setblocking(False)
    sent = 0
    received = bytearray()
    end = None
    write_error = None
    answered_at = None
    deadline = start + timeout
    pause_until = None
    limit = len(payload)
    if pause_after:
        limit = pause_after[0]
    try:
        while now() < deadline:
            want_write = sent < limit and write_error is None
            if pause_after and sent >= pause_after[0] and limit == pause_after[0]:
                if pause_until is None:
                    pause_until = now() + pause_after[1]
                if answered_at is None and now() >= pause_until:
                    limit = len(payload)
                    want_write = True
            r, w, _ = select.select([s], [s] if want_write else [], [], 0.05)
            if r:
                try:
                    data = s.recv(262144)
                except ConnectionResetError:
                    end = "reset"
                    break
                if not data:
                    end = "eof"
                    break
                received += data
                if answered_at is None and b"\r\n\r\n" in received:
                    answered_at = now()
                if len(received) > 64 * MIB:
                    end = "cap"
                    break
            if w:
                try:
                    sent += s.send(payload[sent:min(limit, sent + chunk)])
                except BlockingIOError:
                    pass
                except (BrokenPipeError, ConnectionResetError) as e:
                    write_error = type(e).__name__
            if answered_at is not None and _complete(received) and now() - answered_at > linger:
                end = "open"  # answered, and the server kept the connection
                break
        else:
            end = "timeout"
    finally:
        s.close()
    out = {"sent": sent, "of": len(payload), "end": end, "write_error": write_error,
           "ms": round((now() - start) * 1000)}
    if pause_after:
        # Answered while the rest was held back: the rest was never sent.
        out["answered_before_rest"] = answered_at is not None and sent <= pause_after[0]
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    if received:
        status, fields, line = parse_head(head)
        out.update({
            "status": status,
            "status_line": line[:120],
            "connection": (fields.get("connection") or [None])[0],
            "allow": (fields.get("allow") or [None])[0],
            "retry_after": (fields.get("retry-after") or [None])[0],
            "content_range": (fields.get("content-range") or [None])[0],
            "content_encoding": (fields.get("content-encoding") or [None])[0],
            "answers": bytes(received).count(b"HTTP/1."),
            "first_line": body.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1", "replace")[:160],
            "bytes": len(received),
        })
    else:
        out.update({"status": None, "answers": 0, "bytes": 0})
    out["closed"] = end in ("eof", "reset")
    return out


def _complete(received):
    head, sep, body = bytes(received).partition(b"\r\n\r\n")
    if not sep:
        return False
    _, fields, _ = parse_head(head)
    length = (fields.get("content-length") or [None])[0]
    return length is None or (length.isdigit() and len(body) >= int(length))


# ---------------------------------------------------------------------------
# Attacks that are over in milliseconds against a server that refuses them
# are repeated for a few seconds, so that the monitor's probes and samples
# really fall during them.

def repeat(args, mon, round_fn):
    """Calls round_fn(i) every --every seconds until --seconds passed (at most
    --max-rounds times, and not after the daemon died); the list of results."""
    results = []
    start = now()
    while len(results) < args.max_rounds and not (mon.killed or mon.gone):
        t = now()
        results.append(round_fn(len(results)))
        if now() - start >= args.seconds:
            break
        time.sleep(max(0.0, args.every - (now() - t)))
    return results


def tally(values):
    out = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return out


def in_parallel(*calls):
    """Runs the calls on threads; their results in order."""
    results = [None] * len(calls)

    def run(i, call):
        try:
            results[i] = call()
        except Exception as e:  # one failed call is a result, not the end of the attack
            results[i] = {"error": f"{type(e).__name__}: {e}"}

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# ---------------------------------------------------------------------------
# 1. Decompression bomb.

def attack_bomb(args, mon):
    body = open(args.file, "rb").read()
    enc = args.encoding
    common = [f"Content-Encoding: {enc}", "Content-Type: application/octet-stream", f"Content-Length: {len(body)}"]
    # A GET of the verdict carrying the bomb (413), and a POST of it to a
    # path that does not exist (405): both before the body is sent, so the
    # head goes first and the body only if no answer came within 2 s.
    get_head = request("/", "GET", common)
    post_head = request("/upload", "POST", common)

    def one_round(i):
        # One after the other: a POST that kills the daemon must not take
        # the GET's answer with it.
        get = exchange(args, get_head + body, args.source, timeout=args.timeout, pause_after=(len(get_head), 2.0))
        if mon.killed or mon.gone:
            return get, {"status": None, "end": "not sent: the daemon is gone"}
        post = exchange(args, post_head + body, args.source, timeout=args.timeout, pause_after=(len(post_head), 2.0))
        return get, post

    rounds = repeat(args, mon, one_round)
    out = {"body_bytes": len(body), "encoding": enc, "rounds": len(rounds)}
    for k, name in enumerate(("get", "post")):
        results = [r[k] for r in rounds]
        out[name] = results[0]
        out[name + "_statuses"] = tally(r.get("status") for r in results)
        out[name + "_answered_before_body"] = sum(1 for r in results if r.get("answered_before_rest"))
        out[name + "_closed"] = sum(1 for r in results if r.get("closed"))
    return out


# ---------------------------------------------------------------------------
# 2. Range amplification.

def range_request(args, path, value):
    start = now()
    try:
        s = connect(args.host, args.port, args.source)
        s.sendall(request(path, headers=(f"Range: {value}", "Connection: close")))
        # The declared length says how large the answer is; reading it all
        # would only cost this client.
        a = read_answer(s, now() + args.timeout, cap=args.cap_mib * MIB)
        s.close()
    except OSError as e:
        a = Answer()
        a.end = "error: " + str(e)
    r = a.summary()
    r["content_range"] = a.field("content-range")
    length = a.field("content-length")
    r["content_length"] = int(length) if length and length.isdigit() else None
    r["ms"] = round((now() - start) * 1000)
    return r


def attack_range(args, mon):
    many = "bytes=" + ",".join(["-"] * args.ranges)
    out = {"ranges": args.ranges, "header_bytes": len(many) + len("Range: ")}
    # The one-range and two-range cases once; the amplification, from
    # --parallel connections at a time, for --seconds.
    out["download_two"] = range_request(args, "/download?size=1M", "bytes=0-0,2-2")
    out["download_one"] = range_request(args, "/download?size=1M", "bytes=0-9")
    out["metrics_one"] = range_request(args, "/metrics", "bytes=0-9")
    rounds = repeat(args, mon, lambda i: in_parallel(*[lambda: range_request(args, "/metrics", many)] * args.parallel))
    results = [r for batch in rounds for r in batch]
    out["metrics_many"] = results[0] if results else None
    out["metrics_many_requests"] = len(results)
    out["metrics_many_statuses"] = tally(r.get("status") for r in results)
    out["metrics_many_max_length"] = max((r.get("content_length") or r.get("body_bytes") or 0 for r in results), default=None)
    out["metrics_many_max_ms"] = max((r.get("ms") or 0 for r in results), default=None)
    return out


# ---------------------------------------------------------------------------
# 3. Worker pinning by slow readers of /download.

def attack_pin(args, mon):
    sources = [f"127.0.0.{args.first_source + i}" for i in range(args.sources)]
    per_tick = max(1, int(args.rate * args.tick))

    async def reader(source):
        loop = asyncio.get_running_loop()
        r = {"source": source, "status": None, "bytes": 0, "end": None, "ended_s": None}
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
        s.bind((source, 0))
        s.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(s, (args.host, args.port)), 3)
            await loop.sock_sendall(s, request(f"/download?size={args.size}"))
            t0 = now()
            head = b""
            while now() - t0 < args.duration:
                got = 0
                while got < per_tick:
                    try:
                        data = s.recv(per_tick - got)
                    except BlockingIOError:
                        break
                    except ConnectionResetError:
                        r["end"] = "reset"
                        break
                    if not data:
                        r["end"] = "eof"
                        break
                    got += len(data)
                    if r["status"] is None:
                        head += data
                        if b"\r\n" in head:
                            r["status"] = parse_head(head.split(b"\r\n", 1)[0])[0]
                r["bytes"] += got
                if r["end"]:
                    r["ended_s"] = round(now() - t0, 1)
                    break
                await asyncio.sleep(args.tick)
        except (OSError, asyncio.TimeoutError) as e:
            r["end"] = r["end"] or f"error: {type(e).__name__}"
        finally:
            s.close()
        return r

    async def wait_probe(at):
        await asyncio.sleep(at)
        # Over MPTCP, so that the wait really lasts its second (no join can come).
        a = await asyncio.to_thread(http_get, args.host, args.port, "/?wait=1s", args.probe_wait_source,
                                    args.probe_wait_timeout, ("Connection: close",), True)
        return {"at_s": at, "status": a.status, "ms": a.ms, "end": a.end, "first_line": a.first_line()[:80]}

    async def main():
        readers = [reader(src) for src in sources for _ in range(args.per_source)]
        probes = [wait_probe(at) for at in args.wait_probe_at]
        return await asyncio.gather(asyncio.gather(*readers), asyncio.gather(*probes))

    started = mon.elapsed()
    base = mon.open_before

    def released_at(count):
        """When the daemon let go: the first gauge reading, after the readers
        were all open, at or below the value before the attack."""
        peak_t = None
        for t, v in list(mon.gauge):
            if peak_t is None and v >= base + count:
                peak_t = t
            if peak_t is not None and v <= base:
                return t
        return None

    readers, probes = asyncio.run(main())
    # The readers may all have seen their end before the gauge was read
    # again: give it the rest of the attack's time to show the release.
    while released_at(len(readers)) is None and mon.elapsed() < started + args.duration and not mon.gone:
        time.sleep(0.2)
    released_t = released_at(len(readers))
    statuses = {}
    for r in readers:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    ended = [r for r in readers if r["ended_s"] is not None]
    rates = sorted(r["bytes"] / max(0.1, r["ended_s"] or args.duration) for r in readers)
    return {
        "readers": len(readers),
        "statuses": statuses,
        "ended_by_server": len(ended),
        "ended_s_min": min((r["ended_s"] for r in ended), default=None),
        "ended_s_max": max((r["ended_s"] for r in ended), default=None),
        "read_kib_per_s_median": round(rates[len(rates) // 2] / KIB, 1) if rates else None,
        "daemon_released_s": round(released_t - started, 1) if released_t is not None else None,
        "gauge": [g for g in mon.gauge if g[0] >= started],
        "wait_probes": probes,
        "wait_probe_max_ms": max((p["ms"] for p in probes if p["status"] == 200), default=None),
        "wait_probes_ok": sum(1 for p in probes if p["status"] == 200),
    }


# ---------------------------------------------------------------------------
# 4. Slowloris: a header byte per second.

def attack_slowloris(args, mon):
    sources = [f"127.0.0.{args.first_source + i}" for i in range(args.sources)]
    # Whole header lines arrive now and then, so a timer that restarts
    # with every line would show.
    first = request("/", headers=()).rstrip(b"\r\n") + b"\r\n"
    trickle = b"a:b\r\n" * 100

    start_all = None

    async def one(i, ready):
        loop = asyncio.get_running_loop()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((sources[i % len(sources)], 0))
        s.setblocking(False)
        r = {"end": None, "closed_s": None, "answer": None}
        try:
            await asyncio.wait_for(loop.sock_connect(s, (args.host, args.port)), 5)
        except (OSError, asyncio.TimeoutError) as e:
            r["end"] = f"connect: {type(e).__name__}"
            s.close()
            ready.release()
            return r
        ready.release()
        await start_all.wait()
        t0 = now()
        received = b""
        try:
            await loop.sock_sendall(s, first)
            step = 0
            while now() - t0 < args.duration:
                try:
                    data = await asyncio.wait_for(loop.sock_recv(s, 4096), timeout=1.0)
                except asyncio.TimeoutError:
                    await loop.sock_sendall(s, trickle[step:step + 1])
                    step += 1
                    continue
                if not data:
                    r["end"] = "eof"
                    break
                received += data
        except (ConnectionResetError, BrokenPipeError) as e:
            r["end"] = "reset"
        finally:
            s.close()
        if r["end"]:
            r["closed_s"] = round(now() - t0, 1)
        if received:
            r["answer"] = received.split(b"\r\n", 1)[0].decode("latin-1", "replace")[:60]
        return r

    async def main():
        nonlocal start_all
        start_all = asyncio.Event()
        ready = asyncio.Semaphore(0)
        tasks = []
        for i in range(args.connections):
            tasks.append(asyncio.ensure_future(one(i, ready)))
            if len(tasks) % 100 == 0:
                await asyncio.sleep(0.01)
        for _ in tasks:
            await ready.acquire()
        start_all.set()
        return await asyncio.gather(*tasks)

    results = asyncio.run(main())
    closed = [r["closed_s"] for r in results if r["closed_s"] is not None]
    answers = {}
    for r in results:
        if r["answer"]:
            answers[r["answer"]] = answers.get(r["answer"], 0) + 1
    errors = {}
    for r in results:
        if r["end"] and r["end"].startswith("connect"):
            errors[r["end"]] = errors.get(r["end"], 0) + 1
    return {
        "connections": len(results),
        "connect_errors": errors,
        "closed_by_server": len(closed),
        "closed_s_min": min(closed, default=None),
        "closed_s_max": max(closed, default=None),
        "answers": answers,
    }


# ---------------------------------------------------------------------------
# 5. Many idle keep-alive connections.

def attack_idle(args, mon):
    sources = [f"127.0.0.{args.first_source + i}" for i in range(args.sources)]
    n = args.connections

    async def open_one(i):
        loop = asyncio.get_running_loop()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((sources[i % len(sources)], 0))
        s.setblocking(False)
        answered = i % 2 == 0
        try:
            await asyncio.wait_for(loop.sock_connect(s, (args.host, args.port)), 5)
            if answered:
                await loop.sock_sendall(s, request("/"))
                buf = b""
                deadline = now() + 10
                while True:
                    buf += await asyncio.wait_for(loop.sock_recv(s, 65536), max(0.1, deadline - now()))
                    head, sep, body = buf.partition(b"\r\n\r\n")
                    if sep:
                        _, fields, _ = parse_head(head)
                        if len(body) >= int(fields["content-length"][0]):
                            break
                    if not buf or now() > deadline:
                        raise ConnectionError("no answer")
        except (OSError, asyncio.TimeoutError, ConnectionError, KeyError, ValueError) as e:
            s.close()
            return None, f"{'answered' if answered else 'silent'}: {type(e).__name__}"
        return (s, now(), answered), None

    async def hold(s, since):
        loop = asyncio.get_running_loop()
        try:
            data = await loop.sock_recv(s, 1)
            end = "eof" if not data else "data"
        except ConnectionResetError:
            end = "reset"
        return end, round(now() - since, 1)

    async def main():
        opened, errors = [], {}
        for batch in range(0, n, args.batch):
            for conn, err in await asyncio.gather(*(open_one(i) for i in range(batch, min(n, batch + args.batch)))):
                if conn:
                    opened.append(conn)
                else:
                    errors[err] = errors.get(err, 0) + 1
        opened_at = mon.elapsed()
        holds = [asyncio.ensure_future(hold(s, since)) for s, since, _ in opened]
        done, pending = await asyncio.wait(holds, timeout=args.hold) if holds else (set(), set())
        for p in pending:
            p.cancel()
        for s, _, _ in opened:
            s.close()
        closes = [h.result() for h in holds if h in done]
        return opened, errors, opened_at, closes

    opened, errors, opened_at, closes = asyncio.run(main())
    times = sorted(t for _, t in closes)
    answered = sum(1 for _, _, a in opened if a)
    return {
        "connections": n,
        "opened": len(opened),
        "answered": answered,
        "silent": len(opened) - answered,
        "open_errors": errors,
        "opened_in_s": round(opened_at, 1),
        "closed_by_server": len(closes),
        "closed_ends": {e: sum(1 for x, _ in closes if x == e) for e in {x for x, _ in closes}},
        "closed_s_min": times[0] if times else None,
        "closed_s_median": times[len(times) // 2] if times else None,
        "closed_s_max": times[-1] if times else None,
    }


# ---------------------------------------------------------------------------
# 6. Pipelining flood.

def attack_pipeline(args, mon):
    n = args.requests
    # Every `marker`-th request asks for /healthz instead: its JSON answer,
    # at the right place among the verdicts, shows the order.
    marker = args.marker
    verdict = request("/", headers=())
    health = request("/healthz", headers=())
    is_marker = lambda i: marker and (i + 1) % marker == 0
    payload = b"".join(health if is_marker(i) else verdict for i in range(n))
    ends = []
    total = 0
    for i in range(n):
        total += len(health if is_marker(i) else verdict)
        ends.append(total)

    s = connect(args.host, args.port, args.source)
    s.setblocking(False)
    view = memoryview(payload)
    sent = 0
    start = now()
    # Phase 1: write without reading, until the daemon stops taking more.
    last_progress = now()
    while sent < len(payload) and now() - last_progress < args.stall and now() - start < args.timeout:
        _, w, _ = select.select([], [s], [], 0.1)
        if not w:
            continue
        try:
            k = s.send(view[sent:sent + 65536])
            sent += k
            last_progress = now()
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            break
    sent_unread = sent
    rss_unread = proc_status(args.pid)
    # Phase 2: read everything, still sending the rest.
    buf = bytearray()
    pos = 0
    answers = 0
    mismatch = None
    last_close = False
    end = None
    bad = None
    stop_writing = False
    deadline = now() + args.timeout
    while now() < deadline:
        want_write = sent < len(payload) and not stop_writing
        r, w, _ = select.select([s], [s] if want_write else [], [], 0.2)
        if w:
            try:
                sent += s.send(view[sent:sent + 65536])
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                stop_writing = True
        if r:
            try:
                data = s.recv(1 << 20)
            except ConnectionResetError:
                end = "reset"
                break
            if not data:
                end = "eof"
                break
            buf += data
            while True:
                he = buf.find(b"\r\n\r\n", pos)
                if he < 0:
                    break
                head = bytes(buf[pos:he])
                status, fields, _ = parse_head(head)
                length = int((fields.get("content-length") or ["0"])[0])
                if len(buf) < he + 4 + length:
                    break
                body = bytes(buf[he + 4:he + 4 + min(length, 16)])
                want_json = is_marker(answers)
                if mismatch is None and (status != 200 or body.startswith(b"{") != want_json):
                    mismatch = {"index": answers, "status": status, "body": body.decode("latin-1", "replace")}
                answers += 1
                last_close = (fields.get("connection") or [""])[0].lower() == "close"
                if last_close:
                    stop_writing = True
                pos = he + 4 + length
            if pos > 1 << 20:
                del buf[:pos]
                pos = 0
            if answers >= n:
                end = "complete"
                break
    else:
        end = "timeout"
    s.close()
    leftover = len(buf) - pos
    requests_sent = sum(1 for e in ends if e <= sent)
    return {
        "requests": n,
        "sent_before_reading_bytes": sent_unread,
        "sent_before_reading_requests": sum(1 for e in ends if e <= sent_unread),
        "rss_while_unread_kib": rss_unread[0] if rss_unread else None,
        "requests_sent": requests_sent,
        "answers": answers,
        "in_order": mismatch is None,
        "first_mismatch": mismatch,
        "last_answer_closes": last_close,
        "leftover_bytes": leftover,
        "leftover_start": bytes(buf[pos:pos + 80]).decode("latin-1", "replace"),
        "end": end,
        "clean": mismatch is None and leftover == 0 and (answers == n or (last_close and end in ("eof", "reset"))),
        "seconds": round(now() - start, 1),
    }


# ---------------------------------------------------------------------------
# 7. Malformed and oversized request heads.

def malformed_cases():
    host = "Host: checker"
    q = "a" * 100 * 1024
    line_8192 = "GET /" + "a" * (8192 - len("GET / HTTP/1.1\r\n")) + " HTTP/1.1"  # 8192 with CRLF: allowed
    line_8193 = "GET /" + "a" * (8193 - len("GET / HTTP/1.1\r\n")) + " HTTP/1.1"
    field_8192 = "X-Pad: " + "a" * (8192 - len("X-Pad: \r\n"))  # 8192 with CRLF: allowed
    field_8195 = "X-Pad: " + "a" * (8195 - len("X-Pad: \r\n"))  # 8193 without CRLF: too long either way
    raw = lambda *lines: ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return {
        "uri_100k": raw(f"GET /?q={q} HTTP/1.1", host),
        "request_line_8192": raw(line_8192, host, "Connection: close"),
        "request_line_8193": raw(line_8193, host),
        "header_line_9k": raw("GET / HTTP/1.1", host, "X-Big: " + "b" * 9000),
        "header_line_8192": raw("GET / HTTP/1.1", host, field_8192, "Connection: close"),
        "header_line_8195": raw("GET / HTTP/1.1", host, field_8195),
        "head_70k_small_fields": raw("GET / HTTP/1.1", host, *[f"X-F{i}: " + "c" * 700 for i in range(98)]),
        "head_60k_allowed": raw("GET / HTTP/1.1", host, *[f"X-F{i}: " + "c" * 7600 for i in range(8)],
                                "Connection: close"),
        "fields_101": raw("GET / HTTP/1.1", host, *[f"X-F{i}: c" for i in range(100)]),
        "fields_100_allowed": raw("GET / HTTP/1.1", host, *[f"X-F{i}: c" for i in range(98)], "Connection: close"),
        "bare_lf": b"GET / HTTP/1.1\nHost: checker\n\n",
        "bare_lf_header": b"GET / HTTP/1.1\r\nHost: checker\nX-A: b\r\n\r\n",
        "bare_cr": b"GET / HTTP/1.1\r\nHost: checker\rX-A: b\r\n\r\n",
        "nul_in_header": b"GET / HTTP/1.1\r\nHost: checker\r\nX-A: a\x00b\r\n\r\n",
        "ctl_in_header": b"GET / HTTP/1.1\r\nHost: checker\r\nX-A: a\x01b\r\n\r\n",
        "del_in_header": b"GET / HTTP/1.1\r\nHost: checker\r\nX-A: a\x7fb\r\n\r\n",
        "htab_in_header_allowed": b"GET / HTTP/1.1\r\nHost: checker\r\nX-A: a\tb\r\nConnection: close\r\n\r\n",
        "obs_fold": b"GET / HTTP/1.1\r\nHost: checker\r\nX-A: a\r\n b\r\n\r\n",
        "http_2_0": raw("GET / HTTP/2.0", host),
        "http_3": raw("GET / HTTP/3", host),
        "http_1_2": raw("GET / HTTP/1.2", host),
        "http_1_0_allowed": raw("GET / HTTP/1.0", host),
        "te_chunked_get": raw("GET / HTTP/1.1", host, "Transfer-Encoding: chunked") + b"5\r\nhello\r\n0\r\n\r\n",
        "cl_and_te": raw("GET / HTTP/1.1", host, "Content-Length: 5", "Transfer-Encoding: chunked") + b"hello",
        "cl_two_different": raw("GET / HTTP/1.1", host, "Content-Length: 5", "Content-Length: 6") + b"hello!",
        "cl_unreadable": raw("GET / HTTP/1.1", host, "Content-Length: 5x"),
        "cl_body_get": raw("GET / HTTP/1.1", host, "Content-Length: 5") + b"hello",
        "method_delete": raw("DELETE / HTTP/1.1", host, "Content-Length: 5") + b"hello",
        "accept_encoding_ignored": raw("GET / HTTP/1.1", host, "Accept-Encoding: gzip, br", "Connection: close"),
    }


def attack_malformed(args, mon):
    cases = malformed_cases()

    def one_pass(i):
        out = {}
        for name, payload in cases.items():
            r = exchange(args, payload, args.source, timeout=args.timeout)
            out[name] = {k: r.get(k) for k in ("status", "connection", "closed", "end", "answers", "allow",
                                                  "content_encoding", "first_line", "sent", "of", "ms")}
            if mon.killed or mon.gone:
                break
        return out

    passes = repeat(args, mon, one_pass)
    out = passes[0]
    # What every pass saw: a case whose answer changes between passes shows.
    for name in out:
        out[name]["statuses_seen"] = sorted({str(p[name]["status"]) for p in passes if name in p})
    return {"passes": len(passes), "cases": out}


# ---------------------------------------------------------------------------
# 8. ?wait flood.

def attack_waitflood(args, mon):
    sources = [f"127.0.0.{args.first_source + i}" for i in range(args.sources)]
    barrier = threading.Barrier(args.sources * args.per_source)
    results = []
    lock = threading.Lock()

    def one(source):
        try:
            s = connect(args.host, args.port, source, timeout=5, mptcp=True)
        except OSError as e:
            barrier.wait()
            with lock:
                results.append({"status": None, "end": f"connect: {e}"})
            return
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        start = now()
        try:
            s.sendall(request(f"/?wait={args.wait}", headers=("Connection: close",)))
            a = read_answer(s, start + args.timeout)
        finally:
            s.close()
        with lock:
            results.append({"source": source, "status": a.status, "ms": round((now() - start) * 1000),
                            "retry_after": a.field("retry-after"), "end": a.end,
                            "first_line": a.first_line()[:80]})

    threads = [threading.Thread(target=one, args=(src,)) for src in sources for _ in range(args.per_source)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.timeout + 15)
    statuses = {}
    for r in results:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    refused = [r for r in results if r["status"] in (429, 503)]
    served = [r for r in results if r["status"] == 200]
    per_source = {}
    for r in served:
        per_source[r["source"]] = per_source.get(r["source"], 0) + 1
    return {
        "requests": len(threads),
        "sources": args.sources,
        "statuses": statuses,
        "served": len(served),
        "served_max_per_source": max(per_source.values(), default=0),
        "served_ms_min": min((r["ms"] for r in served), default=None),
        "refused_ms_max": max((r["ms"] for r in refused), default=None),
        "refused_retry_after": sorted({str(r["retry_after"]) for r in refused}),
        "others": [r for r in results if r["status"] not in (200, 429, 503)][:3],
    }


# ---------------------------------------------------------------------------
# 9. What /healthz tells the world.

def attack_healthz(args, mon):
    a = http_get(args.host, args.port, "/healthz", args.source, timeout=3)
    out = {"status": a.status, "body_bytes": a.body_bytes}
    body = a.body_prefix.decode("utf-8", "replace")
    try:
        j = json.loads(body)
        out["keys"] = sorted(j.keys())
        out["listener_keys"] = sorted({k for l in j.get("listeners", []) for k in l})
    except ValueError:
        out["keys"] = None
    words = ["sources", "cgroup", "netns", "namespaces", "tracked_connections", "listening"]
    out["forbidden_found"] = [w for w in words if w in body]
    return out


# ---------------------------------------------------------------------------

def repeated(parser, seconds=3.0, every=0.25, max_rounds=20):
    parser.add_argument("--seconds", type=float, default=seconds, help="repeat the attack this long")
    parser.add_argument("--every", type=float, default=every, help="seconds from one round to the next")
    parser.add_argument("--max-rounds", type=int, default=max_rounds)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8684)
    p.add_argument("--admin", default="127.0.0.1:8685", help="where /metrics is read (HOST:PORT)")
    p.add_argument("--pid", type=int, required=True, help="the daemon's process id")
    p.add_argument("--source", default="127.0.0.5", help="source address of single-connection attacks")
    p.add_argument("--probe-source", default="127.0.0.250")
    p.add_argument("--probe-every", type=float, default=1.0)
    p.add_argument("--probe-timeout", type=float, default=3.0)
    p.add_argument("--rss-kill-mib", type=int, default=1024)
    p.add_argument("--release-timeout", type=float, default=15.0)
    p.add_argument("--settle", type=float, default=1.0, help="seconds between release and the last RSS reading")
    sub = p.add_subparsers(dest="attack", required=True)

    s = sub.add_parser("bomb", help="a compressed body on GET / and on a POST")
    s.add_argument("--file", required=True)
    s.add_argument("--encoding", default="br")
    s.add_argument("--timeout", type=float, default=30.0)
    repeated(s)
    s.set_defaults(fn=attack_bomb)

    s = sub.add_parser("range", help="many ranges on /metrics, two on /download")
    s.add_argument("--ranges", type=int, default=2000)
    s.add_argument("--timeout", type=float, default=20.0)
    s.add_argument("--cap-mib", type=int, default=4, help="stop reading an answer after this much")
    s.add_argument("--parallel", type=int, default=3, help="connections at a time asking for the many ranges")
    repeated(s)
    s.set_defaults(fn=attack_range)

    s = sub.add_parser("pin", help="slow readers of /download")
    s.add_argument("--sources", type=int, default=8)
    s.add_argument("--first-source", type=int, default=10, help="source addresses are 127.0.0.N and up")
    s.add_argument("--per-source", type=int, default=4)
    s.add_argument("--size", default="1G")
    s.add_argument("--rate", type=float, default=20 * 1024, help="bytes per second each reader takes")
    s.add_argument("--tick", type=float, default=0.1)
    s.add_argument("--rcvbuf", type=int, default=4096)
    s.add_argument("--duration", type=float, default=22.0)
    s.add_argument("--probe-wait-source", default="127.0.0.99")
    s.add_argument("--probe-wait-timeout", type=float, default=5.0)
    s.add_argument("--wait-probe-at", type=float, nargs="*", default=[4.0, 8.0])
    s.set_defaults(fn=attack_pin)

    s = sub.add_parser("slowloris", help="request heads a byte per second")
    s.add_argument("--connections", type=int, default=1000)
    s.add_argument("--sources", type=int, default=4)
    s.add_argument("--first-source", type=int, default=20)
    s.add_argument("--duration", type=float, default=15.0)
    s.set_defaults(fn=attack_slowloris)

    s = sub.add_parser("idle", help="many idle keep-alive connections")
    s.add_argument("--connections", type=int, default=10000)
    s.add_argument("--sources", type=int, default=10)
    s.add_argument("--first-source", type=int, default=30)
    s.add_argument("--batch", type=int, default=250)
    s.add_argument("--hold", type=float, default=45.0, help="seconds to wait for the daemon to close them")
    s.set_defaults(fn=attack_idle)

    s = sub.add_parser("pipeline", help="many requests on one connection, answers not read")
    s.add_argument("--requests", type=int, default=100000)
    s.add_argument("--marker", type=int, default=1000, help="every Nth request is GET /healthz (0: none)")
    s.add_argument("--stall", type=float, default=3.0, help="seconds without progress that end the unread phase")
    s.add_argument("--timeout", type=float, default=60.0)
    s.set_defaults(fn=attack_pipeline)

    s = sub.add_parser("malformed", help="oversized and malformed request heads")
    s.add_argument("--timeout", type=float, default=5.0)
    repeated(s, every=0.1, max_rounds=60)
    s.set_defaults(fn=attack_malformed)

    s = sub.add_parser("waitflood", help="concurrent ?wait requests over MPTCP")
    s.add_argument("--sources", type=int, default=1)
    s.add_argument("--first-source", type=int, default=80)
    s.add_argument("--per-source", type=int, default=20)
    s.add_argument("--wait", default="10s")
    s.add_argument("--timeout", type=float, default=20.0)
    s.set_defaults(fn=attack_waitflood)

    s = sub.add_parser("healthz", help="what /healthz on the checker port says")
    s.set_defaults(fn=attack_healthz)

    args = p.parse_args()
    host, _, port = args.admin.rpartition(":")
    args.admin = (host, int(port))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    run_attack(args, args.attack, args.fn)


if __name__ == "__main__":
    main()
