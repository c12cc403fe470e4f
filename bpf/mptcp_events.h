/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one definition of what crosses between the BPF programs and user
 * space: the ring-buffer record, the map keys both sides write, the enums
 * and the counters. Included by the .bpf.c files and by C++
 * (userspace/sources/bpf); a unit test pins every struct's size and
 * offsets. Fixed-width types only, no padding left implicit.
 */
#ifndef MPTCP_OBSERVER_EVENTS_H
#define MPTCP_OBSERVER_EVENTS_H

#ifdef __cplusplus
#include <cstdint>
typedef uint8_t mpo_u8;
typedef uint16_t mpo_u16;
typedef uint32_t mpo_u32;
typedef uint64_t mpo_u64;
#else
typedef __u8 mpo_u8;
typedef __u16 mpo_u16;
typedef __u32 mpo_u32;
typedef __u64 mpo_u64;
#endif

enum mpo_event_type {
	MPO_EV_SUBFLOW_CREATED = 1,     /* SYN sent for an MP_JOIN subflow, or for an initial one
					 * while an event stream is open */
	MPO_EV_SUBFLOW_ESTABLISHED = 2, /* handshake done, MPTCP option accepted; an outbound MP_JOIN
					 * only once the peer accepted it (fully established) */
	MPO_EV_SUBFLOW_CLOSED = 3,      /* an established subflow reached CLOSE */
	MPO_EV_JOIN_FAILED = 4,         /* an MP_JOIN subflow closed before it was established */
	MPO_EV_FALLBACK = 5,            /* a connection that asked for MPTCP, or reached an MPTCP listener, is plain TCP */
	MPO_EV_LISTENER = 6,            /* an MPTCP listener subflow started listening */
};

enum mpo_direction {
	MPO_DIR_ACTIVE = 0,  /* we connected (outbound) */
	MPO_DIR_PASSIVE = 1, /* we accepted (inbound) */
};

enum mpo_subflow_kind {
	MPO_KIND_INITIAL = 0, /* MP_CAPABLE */
	MPO_KIND_JOIN = 1,    /* MP_JOIN */
};

/* Why a join failed or a subflow closed, as far as the kernel shows it. */
enum mpo_reason {
	MPO_REASON_NONE = 0,
	MPO_REASON_CLOSED = 1,        /* orderly close */
	MPO_REASON_RESET = 2,         /* TCP RST or MP_RST received (reset_reason says which MPTCP code) */
	MPO_REASON_REFUSED = 3,       /* RST in answer to the SYN (ECONNREFUSED) */
	MPO_REASON_TIMEOUT = 4,       /* no answer (ETIMEDOUT) */
	MPO_REASON_REJECTED = 5,      /* the peer's SYN-ACK carried no valid MP_JOIN: we reset it */
	MPO_REASON_NO_MPTCP = 6,      /* fallback: the SYN-ACK carried no MP_CAPABLE */
	MPO_REASON_PLAIN_CLIENT = 7,  /* fallback: a plain TCP client reached an MPTCP listener */
	MPO_REASON_UNREACHABLE = 8,   /* ICMP or other local error (sk_err) */
	MPO_REASON_LATE = 9,          /* fallback after the handshake: user space sees it in sock_diag, BPF never sends it */
	MPO_REASON_REJECTED_BY_PEER = 10, /* the peer answered our third ACK with a reset, not an
					   * acceptance (its subflow limit, a bad HMAC): the join
					   * never became fully established */
};

#define MPO_REASON_COUNT 11

struct mpo_event {
	mpo_u64 timestamp_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	mpo_u64 cookie;       /* socket cookie of the subflow */
	mpo_u64 duration_ns;  /* ESTABLISHED and FALLBACK of an initial subflow, inbound ESTABLISHED of
			       * a join: the kernel's first RTT sample (the SYN-ACK's, or the ACK's
			       * of ours); otherwise 0: user space times an outbound join and its
			       * failure from its CREATED event, and lifetimes from ESTABLISHED */
	mpo_u32 netns;        /* network namespace inode */
	mpo_u32 token;        /* local MPTCP connection token (0 if not known yet) */
	mpo_u32 ifindex;      /* interface the subflow is bound to or receives on; 0 unknown */
	mpo_u32 tcp_error;    /* sk_err at close, an errno value */
	mpo_u8 type;          /* enum mpo_event_type */
	mpo_u8 direction;     /* enum mpo_direction */
	mpo_u8 kind;          /* enum mpo_subflow_kind */
	mpo_u8 family;        /* AF_INET or AF_INET6 */
	mpo_u8 reason;        /* enum mpo_reason */
	mpo_u8 reset_reason;  /* MPTCP MP_RST reason code (RFC 8684 3.6) when reset_seen */
	mpo_u8 local_id;      /* address ids: local_id is 0 for the initial subflow */
	mpo_u8 remote_id;
	mpo_u8 backup;        /* the subflow is a backup path */
	mpo_u8 reset_seen;    /* an MP_RST arrived on this subflow */
	mpo_u16 local_port;   /* host byte order */
	mpo_u16 remote_port;  /* host byte order */
	mpo_u16 pad;
	mpo_u8 local_addr[16];  /* IPv4 in the first 4 bytes */
	mpo_u8 remote_addr[16];
};

/* Key of the "mpo_listeners" and "mpo_listener_counts" hash maps: an MPTCP
 * listener by (netns, port). User space writes it too
 * (BpfSubflowSource::sync_listeners), for listeners that predate the
 * program, and a hash map compares keys byte for byte: pad must be 0. */
struct mpo_listener_key {
	mpo_u32 netns; /* network namespace inode */
	mpo_u16 port;  /* local port, host byte order */
	mpo_u16 pad;
};

/* Per-CPU counters in the "mpo_counters" array map. */
enum mpo_counter {
	MPO_CNT_EVENTS = 0,  /* events queued */
	MPO_CNT_DROPPED = 1, /* events lost: the ring buffer was full */
	MPO_CNT_MAX = 2,
};

#define MPO_DEFAULT_RINGBUF_BYTES (1u << 20)

#endif
