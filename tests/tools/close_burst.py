#!/usr/bin/env python3
"""Many short MPTCP connections at once, each one request with
"Connection: close", closed as soon as its answer is read (as wrk and most
load generators do). Prints how many requests failed: a server that holds
each closed connection open for a while runs into its per-client cap.

    close_burst.py HOST PORT SECONDS [THREADS]
"""
import socket
import sys
import threading
import time

IPPROTO_MPTCP = 262


def one_request(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    s.settimeout(5)
    try:
        s.connect((host, port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: burst\r\nConnection: close\r\n\r\n")
        buf = b""
        while True:
            data = s.recv(65536)
            if not data:
                return False
            buf += data
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                continue
            length = 0
            for line in buf[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(buf) >= end + 4 + length:
                return buf.startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        s.close()


def main():
    host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    stop = time.monotonic() + seconds
    done, failed = [0], [0]
    lock = threading.Lock()

    def worker():
        while time.monotonic() < stop:
            ok = one_request(host, port)
            with lock:
                done[0] += 1
                failed[0] += 0 if ok else 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(f"{failed[0]} {done[0]}")


if __name__ == "__main__":
    main()
