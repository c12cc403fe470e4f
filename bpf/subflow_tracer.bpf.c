// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sees every MPTCP subflow of the processes in one cgroup v2 subtree, from
 * sock_ops alone (no kprobes or fentry): MPTCP attaches the subflows it
 * creates in the kernel to the cgroup of the socket's owner, so they pass
 * through this program like the owner's own sockets.
 *
 *   TCP_CONNECT_CB          active subflow created (initial or MP_JOIN)
 *   ACTIVE_ESTABLISHED_CB   handshake done: became MPTCP or fell back; an MP_JOIN's
 *                           SYN-ACK checked out, and the wait for its acceptance starts
 *   PARSE_HDR_OPT_CB        a segment reaching an MP_JOIN that awaits acceptance
 *   PASSIVE_ESTABLISHED_CB  accepted subflow, or a plain client on an MPTCP listener
 *   TCP_LISTEN_CB           an MPTCP listener (to recognise its plain clients)
 *   STATE_CB (to CLOSE)     a subflow ends, or a join attempt fails (rejected too)
 *
 * Kernel 5.10 or later (see mptcp_compat.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "mptcp_compat.bpf.h"
#include "mptcp_events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define TCP_ESTABLISHED 1
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define TCPOPT_MPTCP 30
#define TCP_OPTIONS_MAX_BYTES 40
#define MPTCPOPT_DSS 2
#define MPTCP_DSS_HAS_ACK 0x01
#define ECONNRESET 104
#define ECONNREFUSED 111
#define ETIMEDOUT 110
#define EPIPE 32

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MPO_DEFAULT_RINGBUF_BYTES); /* user space may resize before load */
} mpo_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MPO_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} mpo_counters SEC(".maps");

/* What an MPTCP listener socket remembers: that it was counted in
 * mpo_listener_counts, so that its close is counted once. Only listeners
 * have socket storage: creating and freeing it (an allocation, two locks,
 * an RCU-deferred free) for every subflow would be most of the program's
 * time under connection churn, and a subflow's own fields tell everything
 * else. */
struct listener_state {
	__u8 counted;
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct listener_state);
} mpo_listener_sockets SEC(".maps");

/* MPTCP listeners by (netns, port): a plain TCP child accepted on one of
 * these ports is an inbound fallback. The value only says "present"; user
 * space also writes it (BpfSubflowSource::sync_listeners, value 1, from
 * sock_diag) for listeners that predate the program. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct mpo_listener_key);
	__type(value, __u8);
} mpo_listeners SEC(".maps");

/* How many listeners we saw start on each (netns, port) and not yet close:
 * several can share one (SO_REUSEPORT, or [::] and 0.0.0.0 bound apart), so
 * the port leaves mpo_listeners only when the last of them closes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct mpo_listener_key);
	__type(value, __u32);
} mpo_listener_counts SEC(".maps");

/* Non-zero while an event stream is open (BpfSubflowSource::
 * set_stream_watched writes it): what only the stream shows, an outbound
 * initial subflow's SYN, is sent only then. */
__u32 mpo_stream_watched = 0;

/* When to wake the consumer (see emit): once the ring holds more than
 * mpo_wake_above_bytes, looked at on every (mpo_wake_check_mask + 1)-th
 * event of a CPU. User space sets both before loading, from the ring's size
 * and the number of CPUs (sources/bpf/ring_wakeup), so that the events a
 * CPU queues between two looks cannot fill the ring. */
const volatile __u64 mpo_wake_above_bytes = MPO_DEFAULT_RINGBUF_BYTES / 4;
const volatile __u64 mpo_wake_check_mask = 0;

/* Returns the counter's new value, 0 if it could not be counted. */
static __always_inline __u64 count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&mpo_counters, &which);
	if (!v)
		return 0;
	*v += 1;
	return *v;
}

/* sk comes from bpf_skc_to_tcp_sock(), a pointer the verifier knows the
 * kernel type of: its fields are read with plain (CO-RE relocated) loads,
 * which cost far less than a bpf_probe_read_kernel() call each. Only the
 * subflow context, reached through a void pointer, needs probe reads. */
static __always_inline __u32 netns_of(struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

static __always_inline __u16 local_port_of(struct sock *sk)
{
	return sk->__sk_common.skc_num;
}

static __always_inline struct mpo_listener_key listener_key_of(struct sock *sk)
{
	struct mpo_listener_key key = { .netns = netns_of(sk), .port = local_port_of(sk) };
	return key;
}

static __always_inline void fill_addresses(struct mpo_event *e, struct sock *sk)
{
	struct sock_common *c = &sk->__sk_common;
	e->family = c->skc_family;
	e->local_port = c->skc_num;
	e->remote_port = bpf_ntohs(c->skc_dport);
	__u32 *local = (__u32 *)e->local_addr, *remote = (__u32 *)e->remote_addr;
	if (e->family == AF_INET6) {
		/* Word by word: the verifier checks each load against the
		 * field's type, and a wider load than u32 would straddle it. */
		for (int i = 0; i < 4; i++) {
			local[i] = c->skc_v6_rcv_saddr.in6_u.u6_addr32[i];
			remote[i] = c->skc_v6_daddr.in6_u.u6_addr32[i];
		}
	} else {
		local[0] = c->skc_rcv_saddr;
		remote[0] = c->skc_daddr;
	}
}

static __always_inline void fill_subflow(struct mpo_event *e, const struct mpo_subflow *ctx)
{
	if (!ctx)
		return;
	e->token = MPO_SUBFLOW_FIELD(ctx, token);
	e->local_id = mpo_subflow_local_id(ctx);
	e->remote_id = MPO_SUBFLOW_FIELD(ctx, remote_id);
	/* backup: the peer asked for it (B bit in its SYN or SYN-ACK);
	 * request_bkup: our endpoint is a backup one (B bit we sent). */
	e->backup = MPO_SUBFLOW_FIELD(ctx, backup) || MPO_SUBFLOW_FIELD(ctx, request_bkup);
	e->reset_seen = mpo_subflow_reset_seen(ctx);
	e->reset_reason = mpo_subflow_reset_reason(ctx);
}

/* Reserve, fill the common part, submit: a full ring buffer is counted. */
static __always_inline void emit(struct bpf_sock_ops *ops, struct sock *sk,
				 const struct mpo_subflow *ctx, __u8 type, __u8 direction,
				 __u8 kind, __u8 reason, __u64 duration_ns)
{
	struct mpo_event *e = bpf_ringbuf_reserve(&mpo_events, sizeof(*e), 0);
	if (!e) {
		count(MPO_CNT_DROPPED);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->timestamp_ns = bpf_ktime_get_ns();
	e->cookie = bpf_get_socket_cookie(ops);
	e->duration_ns = duration_ns;
	e->netns = netns_of(sk);
	e->ifindex = mpo_sk_ifindex(sk);
	e->tcp_error = sk->sk_err;
	e->type = type;
	e->direction = direction;
	e->kind = kind;
	e->reason = reason;
	fill_addresses(e, sk);
	fill_subflow(e, ctx);
	/* A wake-up per event costs the consumer a context switch per event,
	 * which under churn costs more than the events themselves: user space
	 * drains the ring every few milliseconds, and is woken early only when
	 * the ring is a quarter full. Reading the ring's fill level pulls the
	 * consumer's position from the CPU that wrote it: looked at only on
	 * every few events of this CPU. */
	__u64 flags = BPF_RB_NO_WAKEUP;
	if ((count(MPO_CNT_EVENTS) & mpo_wake_check_mask) == 0 &&
	    bpf_ringbuf_query(&mpo_events, BPF_RB_AVAIL_DATA) > mpo_wake_above_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* The callbacks asked for on this socket. Read once per callback: the
 * verifier refuses a context read through a pointer the compiler computed
 * once and reused, as it does for a field read twice. */
static __always_inline __u32 cb_flags(struct bpf_sock_ops *ops)
{
	return ops->bpf_sock_ops_cb_flags;
}

/* Asks for this socket's state changes (to see its close): only this
 * socket's, not every socket's. */
static __always_inline void watch_state(struct bpf_sock_ops *ops)
{
	bpf_sock_ops_cb_flags_set(ops, cb_flags(ops) | BPF_SOCK_OPS_STATE_CB_FLAG);
}

static __always_inline struct sock *kernel_sock(struct bpf_sock_ops *ops)
{
	struct bpf_sock *bsk = ops->sk;
	if (!bsk)
		return NULL;
	return (struct sock *)bpf_skc_to_tcp_sock(bsk);
}

/* An outbound subflow: the connecting side sets request_mptcp (initial) or
 * request_join (MP_JOIN) before its SYN; an accepted subflow has neither
 * (subflow_ulp_clone() starts its context from zero). request_join lasts to
 * the close; request_mptcp too, unless the kernel gave up on MPTCP while the
 * SYN was unanswered (see mpo_subflow_mpc_drop()). So the callbacks tell
 * the two apart without state of our own. A join's latency and failure
 * times come from user space, which has each join's created event (see
 * mptcp_events.h); an initial subflow's handshake time is the kernel's
 * first RTT sample, as for inbound subflows. */
static __always_inline bool outbound_join(const struct mpo_subflow *ctx)
{
	return MPO_SUBFLOW_FIELD(ctx, request_join);
}

static __always_inline bool outbound_initial(const struct mpo_subflow *ctx)
{
	return MPO_SUBFLOW_FIELD(ctx, request_mptcp) && !MPO_SUBFLOW_FIELD(ctx, request_join);
}

/* An outbound join is established only once the peer has accepted it
 * (RFC 8684 3.2): after its SYN-ACK the joining side sends a third ACK
 * with its HMAC, and the peer may still refuse it then, e.g. a server at
 * its subflow limit answers with a reset (MP_TCPRST EPROHIBIT). The kernel
 * marks the join fully established on the peer's first in-sequence segment
 * carrying a DSS Data ACK (the "fourth ACK", or data), and resets it on
 * anything else. No sock_ops callback follows that, so the join's incoming
 * segments are watched from its SYN-ACK on, through a callback asked for on
 * this socket only (PARSE_ALL_HDR_OPT) and switched off at the segment that
 * accepts it: one segment per join, usually. While it is on, the join has
 * not been reported established: the kernel keeps that bit per socket for
 * us, as it keeps the state callback's. */
#define MPO_AWAITING_ACCEPTANCE BPF_SOCK_OPS_PARSE_ALL_HDR_OPT_CB_FLAG

static __always_inline void await_acceptance(struct bpf_sock_ops *ops)
{
	bpf_sock_ops_cb_flags_set(ops, cb_flags(ops) | MPO_AWAITING_ACCEPTANCE);
}

/* The callback runs from tcp_validate_incoming(), before the kernel hands
 * the segment to MPTCP (tcp_data_queue(), mptcp_incoming_options()), so
 * fully_established does not show this segment's effect yet: this applies
 * the rule check_fully_established() is about to apply to a join not yet
 * fully established. The segment must start right after the SYN-ACK
 * (ssn_offset + 1; anything else resets the join) and carry a DSS with a
 * Data ACK. Recent kernels also accept a join on an ADD_ADDR; such a join
 * is reported at its next segment or at its close. */
static __always_inline bool accepts_join(struct bpf_sock_ops *ops, const struct mpo_subflow *ctx)
{
	struct tcphdr *th = ops->skb_data;
	if ((void *)(th + 1) > ops->skb_data_end)
		return false;
	if (bpf_ntohl(th->seq) != (__u32)(MPO_SUBFLOW_FIELD(ctx, ssn_offset) + 1))
		return false;
	/* The first MPTCP option: the kernel writes DSS before any other
	 * but MP_FAIL, which a join awaiting acceptance cannot get. */
	__u8 option[TCP_OPTIONS_MAX_BYTES] = { TCPOPT_MPTCP };
	long len = bpf_load_hdr_opt(ops, option, sizeof(option), 0);
	return len >= 4 && option[2] >> 4 == MPTCPOPT_DSS && (option[3] & MPTCP_DSS_HAS_ACK);
}

/* A segment reaching an outbound join that awaits acceptance. Every
 * instance of this program that traces the socket (several daemons, each
 * on its cgroup) runs in the same callback run and sees the same segment,
 * so each reports the acceptance whichever switches the callback off. */
static __always_inline void on_join_segment(struct bpf_sock_ops *ops, struct sock *sk,
					    const struct mpo_subflow *ctx)
{
	if (!ctx || !outbound_join(ctx) || !MPO_SUBFLOW_FIELD(ctx, mp_join))
		return;
	__u32 flags = cb_flags(ops);
	if (mpo_subflow_fully_established(ctx)) {
		/* Accepted by an earlier segment this did not recognise. */
		if (!(flags & MPO_AWAITING_ACCEPTANCE))
			return;
	} else if (!accepts_join(ops, ctx)) {
		return;
	}
	bpf_sock_ops_cb_flags_set(ops, flags & ~MPO_AWAITING_ACCEPTANCE);
	emit(ops, sk, ctx, MPO_EV_SUBFLOW_ESTABLISHED, MPO_DIR_ACTIVE, MPO_KIND_JOIN, MPO_REASON_NONE, 0);
}

static __always_inline void on_connect(struct bpf_sock_ops *ops, struct sock *sk,
				       const struct mpo_subflow *ctx)
{
	if (!ctx)
		return;
	__u8 kind;
	if (outbound_join(ctx)) {
		/* From its SYN on: a join that fails closes from SYN_SENT. */
		kind = MPO_KIND_JOIN;
		watch_state(ops);
	} else if (outbound_initial(ctx)) {
		/* Its close matters only once established (on_outbound_close),
		 * so its state changes are asked for from there: one callback
		 * fewer, and none at all for a connect that fails or falls
		 * back. Nothing but the event stream uses its created event. */
		kind = MPO_KIND_INITIAL;
		if (!mpo_stream_watched)
			return;
	} else {
		return;
	}
	emit(ops, sk, ctx, MPO_EV_SUBFLOW_CREATED, MPO_DIR_ACTIVE, kind, MPO_REASON_NONE, 0);
}

/* The kernel's first RTT sample, taken from the SYN-ACK (inbound: from the
 * ACK of ours) just before the established callback: the handshake time
 * we can see without a timestamp of the SYN kept per socket. 0 when the
 * kernel took none (a retransmitted SYN without TCP timestamps). */
static __always_inline __u64 first_rtt_ns(struct sock *sk)
{
	return (__u64)(((struct tcp_sock *)sk)->srtt_us >> 3) * 1000;
}

static __always_inline void on_active_established(struct bpf_sock_ops *ops, struct sock *sk,
						  const struct mpo_subflow *ctx)
{
	if (!ctx)
		return;
	/* tcp_finish_connect() sets ESTABLISHED, then runs sk_rx_dst_set
	 * (subflow_finish_connect() for a subflow), and only then this
	 * callback. When subflow_finish_connect() found no valid MP_JOIN in the
	 * SYN-ACK (or a bad HMAC) it has already reset the subflow, and on_close
	 * has reported the failure. */
	if (sk->__sk_common.skc_state == TCP_CLOSE)
		return;
	if (outbound_join(ctx)) {
		/* mp_join is set once the SYN-ACK's MP_JOIN checked out. Without
		 * it the subflow is being reset, and its close reports the
		 * rejected join, once. With it, the peer has still to accept
		 * our third ACK. */
		if (!MPO_SUBFLOW_FIELD(ctx, mp_join))
			return;
		if (mpo_subflow_fully_established(ctx))
			emit(ops, sk, ctx, MPO_EV_SUBFLOW_ESTABLISHED, MPO_DIR_ACTIVE, MPO_KIND_JOIN, MPO_REASON_NONE, 0);
		else
			await_acceptance(ops);
		return;
	}
	/* An initial subflow that asked for MPTCP, or whose MP_CAPABLE SYNs
	 * were dropped and retried without (its SYN-ACK has none either). */
	if (!outbound_initial(ctx) && !mpo_subflow_mpc_drop(ctx))
		return;
	if (MPO_SUBFLOW_FIELD(ctx, mp_capable)) {
		watch_state(ops);
		emit(ops, sk, ctx, MPO_EV_SUBFLOW_ESTABLISHED, MPO_DIR_ACTIVE, MPO_KIND_INITIAL, MPO_REASON_NONE,
		     first_rtt_ns(sk));
	} else {
		emit(ops, sk, ctx, MPO_EV_FALLBACK, MPO_DIR_ACTIVE, MPO_KIND_INITIAL, MPO_REASON_NO_MPTCP,
		     first_rtt_ns(sk));
	}
}

/* An inbound subflow is a join (MP_JOIN) or the initial one (MP_CAPABLE);
 * neither means the context never became an MPTCP subflow. */
#define MPO_KIND_NONE 0xff
static __always_inline __u8 inbound_kind(const struct mpo_subflow *ctx)
{
	if (MPO_SUBFLOW_FIELD(ctx, mp_join))
		return MPO_KIND_JOIN;
	if (MPO_SUBFLOW_FIELD(ctx, mp_capable))
		return MPO_KIND_INITIAL;
	return MPO_KIND_NONE;
}

static __always_inline void on_passive_established(struct bpf_sock_ops *ops, struct sock *sk,
						   const struct mpo_subflow *ctx)
{
	if (!ctx) {
		/* Plain TCP: interesting only when it reached an MPTCP listener. */
		struct mpo_listener_key key = listener_key_of(sk);
		if (bpf_map_lookup_elem(&mpo_listeners, &key))
			emit(ops, sk, NULL, MPO_EV_FALLBACK, MPO_DIR_PASSIVE, MPO_KIND_INITIAL, MPO_REASON_PLAIN_CLIENT, 0);
		return;
	}
	__u8 kind = inbound_kind(ctx);
	if (kind == MPO_KIND_NONE)
		return;
	watch_state(ops);
	/* The SYN's arrival time is gone with the request socket. */
	emit(ops, sk, ctx, MPO_EV_SUBFLOW_ESTABLISHED, MPO_DIR_PASSIVE, kind, MPO_REASON_NONE, first_rtt_ns(sk));
}

static __always_inline void listener_opened(struct mpo_listener_key *key)
{
	__u32 *n = bpf_map_lookup_elem(&mpo_listener_counts, key);
	if (n) {
		__sync_fetch_and_add(n, 1);
	} else {
		__u32 one = 1;
		/* Two listeners starting at once on two CPUs: one insert wins,
		 * the other counts itself into the winner's entry. */
		if (bpf_map_update_elem(&mpo_listener_counts, key, &one, BPF_NOEXIST) != 0) {
			n = bpf_map_lookup_elem(&mpo_listener_counts, key);
			if (n)
				__sync_fetch_and_add(n, 1);
		}
	}
	__u8 present = 1;
	bpf_map_update_elem(&mpo_listeners, key, &present, BPF_ANY);
}

static __always_inline void listener_closed(struct mpo_listener_key *key)
{
	__u32 *n = bpf_map_lookup_elem(&mpo_listener_counts, key);
	if (n) {
		/* The fetching form of the atomic add needs 5.12 (BPF_FETCH);
		 * a plain atomic add and a read after it work from 5.10. */
		__sync_fetch_and_add(n, -1);
		if (*n != 0)
			return; /* another listener still holds the port */
	}
	/* The last one (or one we never counted) closed. A listener that
	 * starts on this port between the read and these deletes is lost
	 * until user space's next sync_listeners puts the port back. */
	bpf_map_delete_elem(&mpo_listener_counts, key);
	bpf_map_delete_elem(&mpo_listeners, key);
}

/* flags: BPF_SK_STORAGE_GET_F_CREATE at listen, 0 to find it at close. */
static __always_inline struct listener_state *listener_state_of(struct bpf_sock_ops *ops, __u64 flags)
{
	struct bpf_sock *bsk = ops->sk;
	return bsk ? bpf_sk_storage_get(&mpo_listener_sockets, bsk, 0, flags) : NULL;
}

static __always_inline void on_listen(struct bpf_sock_ops *ops, struct sock *sk)
{
	if (!((struct tcp_sock *)sk)->is_mptcp)
		return;
	/* Counted only with socket storage, so that its close is seen too. */
	struct listener_state *st = listener_state_of(ops, BPF_SK_STORAGE_GET_F_CREATE);
	if (st && !st->counted) {
		struct mpo_listener_key key = listener_key_of(sk);
		st->counted = 1;
		watch_state(ops);
		listener_opened(&key);
	}
	emit(ops, sk, NULL, MPO_EV_LISTENER, MPO_DIR_PASSIVE, MPO_KIND_INITIAL, MPO_REASON_NONE, 0);
}

static __always_inline void on_listener_close(struct bpf_sock_ops *ops, struct sock *sk)
{
	struct listener_state *st = listener_state_of(ops, 0);
	if (!st || !st->counted)
		return;
	struct mpo_listener_key key = listener_key_of(sk);
	st->counted = 0;
	listener_closed(&key);
}

static __always_inline __u8 close_reason(struct sock *sk, const struct mpo_subflow *ctx)
{
	if (ctx && mpo_subflow_reset_seen(ctx))
		return MPO_REASON_RESET;
	int err = sk->sk_err;
	if (!err)
		err = sk->sk_err_soft;
	switch (err) {
	case 0: return MPO_REASON_CLOSED;
	case ECONNREFUSED: return MPO_REASON_REFUSED;
	case ETIMEDOUT: return MPO_REASON_TIMEOUT;
	case ECONNRESET:
	case EPIPE: return MPO_REASON_RESET;
	default: return MPO_REASON_UNREACHABLE;
	}
}

/* Why a join whose SYN-ACK checked out closed before the peer accepted it.
 * Straight from ESTABLISHED, and not shut down: the kernel reset it itself
 * (tcp_done() shuts a socket down only after the state change), because
 * the peer answered our third ACK with no acceptance: typically a reset
 * from a server at its subflow limit, whose MP_TCPRST reason the kernel
 * does not parse on a join in that state (reset_seen stays 0; should a
 * kernel parse it, the event carries it). Shut down first: we closed it,
 * the connection or the path manager ending before the peer answered. */
static __always_inline __u8 unaccepted_join_reason(struct sock *sk, const struct mpo_subflow *ctx, __u32 from)
{
	if (from == TCP_ESTABLISHED && !sk->sk_shutdown)
		return MPO_REASON_REJECTED_BY_PEER;
	__u8 reason = close_reason(sk, ctx);
	return reason == MPO_REASON_CLOSED ? MPO_REASON_RESET : reason;
}

/* An outbound join whose SYN-ACK checked out (mp_join) closes. */
static __always_inline void on_joined_close(struct bpf_sock_ops *ops, struct sock *sk,
					    const struct mpo_subflow *ctx, __u32 from)
{
	if (cb_flags(ops) & MPO_AWAITING_ACCEPTANCE) {
		if (!mpo_subflow_fully_established(ctx)) {
			emit(ops, sk, ctx, MPO_EV_JOIN_FAILED, MPO_DIR_ACTIVE, MPO_KIND_JOIN,
			     unaccepted_join_reason(sk, ctx, from), 0);
			return;
		}
		/* Accepted by a segment not recognised when it came, and none
		 * came after: reported at its close rather than never. */
		emit(ops, sk, ctx, MPO_EV_SUBFLOW_ESTABLISHED, MPO_DIR_ACTIVE, MPO_KIND_JOIN, MPO_REASON_NONE, 0);
	}
	emit(ops, sk, ctx, MPO_EV_SUBFLOW_CLOSED, MPO_DIR_ACTIVE, MPO_KIND_JOIN, close_reason(sk, ctx), 0);
}

/* `from` is the state the subflow leaves for CLOSE. */
static __always_inline void on_outbound_close(struct bpf_sock_ops *ops, struct sock *sk,
					      const struct mpo_subflow *ctx, __u32 from)
{
	if (outbound_join(ctx)) {
		if (MPO_SUBFLOW_FIELD(ctx, mp_join)) {
			on_joined_close(ops, sk, ctx, from);
			return;
		}
		/* A join that never joined. From ESTABLISHED, the SYN-ACK
		 * arrived and subflow_finish_connect() reset the subflow: no
		 * MP_JOIN in it, a bad HMAC, or the connection could not take
		 * the subflow. From SYN_SENT: refused (RST), timed out, or
		 * unreachable. */
		__u8 reason = from == TCP_ESTABLISHED ? MPO_REASON_REJECTED : close_reason(sk, ctx);
		emit(ops, sk, ctx, MPO_EV_JOIN_FAILED, MPO_DIR_ACTIVE, MPO_KIND_JOIN,
		     reason == MPO_REASON_CLOSED ? MPO_REASON_RESET : reason, 0);
		return;
	}
	/* Reported established if its SYN-ACK carried MP_CAPABLE, even if the
	 * connection fell back since (which clears mp_capable). Otherwise it
	 * never became MPTCP: a failed TCP connect, or a fallback, reported
	 * when it happened. */
	if (MPO_SUBFLOW_FIELD(ctx, mp_capable) || mpo_subflow_remote_key_valid(ctx))
		emit(ops, sk, ctx, MPO_EV_SUBFLOW_CLOSED, MPO_DIR_ACTIVE, MPO_KIND_INITIAL, close_reason(sk, ctx), 0);
}

/* An inbound subflow's callbacks were switched on when it was established,
 * but a child that may have inherited the flag from its listener closes
 * from SYN_RECV without ever being established: not reported, unless it is
 * a Fast Open child, established in SYN_RECV. */
static __always_inline void on_inbound_close(struct bpf_sock_ops *ops, struct sock *sk,
					     const struct mpo_subflow *ctx, __u32 from)
{
	if (from == TCP_SYN_RECV && !((struct tcp_sock *)sk)->fastopen_rsk)
		return;
	__u8 kind = inbound_kind(ctx);
	if (kind == MPO_KIND_NONE)
		return;
	emit(ops, sk, ctx, MPO_EV_SUBFLOW_CLOSED, MPO_DIR_PASSIVE, kind, close_reason(sk, ctx), 0);
}

/* Lifetimes are left to user space, which has the established event. A
 * close from CLOSE (the kernel sets CLOSE again on some paths) was
 * reported the first time. A subflow that connects again after a failed
 * attempt (MPTCP reuses its first subflow after a disconnect) is reported
 * once per attempt. */
static __always_inline void on_close(struct bpf_sock_ops *ops, struct sock *sk,
				     const struct mpo_subflow *ctx)
{
	__u32 from = ops->args[0];
	if (from == TCP_LISTEN) {
		on_listener_close(ops, sk);
		return;
	}
	if (!ctx || from == TCP_CLOSE)
		return;
	if (outbound_join(ctx) || MPO_SUBFLOW_FIELD(ctx, request_mptcp))
		on_outbound_close(ops, sk, ctx, from);
	else
		on_inbound_close(ops, sk, ctx, from);
}

/* The program runs for every callback of every TCP socket in the cgroup
 * (about 36 per churned MPTCP connection), most of them of no interest:
 * decide from the op alone before touching the socket. */
static __always_inline bool wanted(struct bpf_sock_ops *ops)
{
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
	case BPF_SOCK_OPS_PARSE_HDR_OPT_CB: /* only on joins awaiting acceptance */
		return true;
	case BPF_SOCK_OPS_STATE_CB:
		return ops->args[1] == TCP_CLOSE;
	default:
		return false;
	}
}

SEC("sockops")
int mpo_sockops(struct bpf_sock_ops *ops)
{
	if (!wanted(ops))
		return 1;
	struct sock *sk = kernel_sock(ops);
	if (!sk)
		return 1;
	/* One copy for whichever callback this is: in the callees' own frames
	 * it could be laid out once per callee, past the 512-byte stack. */
	struct mpo_subflow subflow;
	const struct mpo_subflow *ctx = mpo_subflow_read(&subflow, sk);
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		on_connect(ops, sk, ctx);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		on_active_established(ops, sk, ctx);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		on_passive_established(ops, sk, ctx);
		break;
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		on_listen(ops, sk);
		break;
	case BPF_SOCK_OPS_PARSE_HDR_OPT_CB:
		on_join_segment(ops, sk, ctx);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		on_close(ops, sk, ctx);
		break;
	}
	return 1;
}
