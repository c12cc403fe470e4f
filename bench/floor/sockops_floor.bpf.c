// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the cgroup sock_ops hook costs before the daemon's program does any
 * work: bench/run attaches one of these where the daemon attaches (the root
 * of the cgroup v2 hierarchy) and churns connections through it.
 *
 *   mpo_floor_empty  returns at once: the hook's own floor.
 *   mpo_floor_flags  asks for the callbacks the daemon asks for, on the
 *                    subflows it asks for them on, and does nothing in them:
 *                    the floor plus the cost of the callbacks themselves.
 *   mpo_floor_ring   the flags, plus one ring-buffer record of the daemon's
 *                    size where the daemon sends an event, zeroed and
 *                    submitted with the daemon's wake-up policy, for a
 *                    reader that does nothing with it (sockops_floor ring):
 *                    what carrying the daemon's events to user space costs
 *                    before anything is read from the socket or done with
 *                    the event.
 *   mpo_census       counts callbacks by op (and state changes by new
 *                    state); attached beside one of the others in a short
 *                    run, it shows which callbacks that one brings.
 *
 * Which subflows: subflow_tracer.bpf.c asks for state changes on every MPTCP
 * subflow it reports (an outbound join at TCP_CONNECT_CB, an outbound
 * initial subflow once established as MPTCP, inbound at
 * PASSIVE_ESTABLISHED_CB) and on MPTCP listeners, and for every segment's
 * header options on an outbound join from its SYN-ACK until the peer accepts
 * it (usually the next segment). Here the same tests are made with the
 * fewest reads: tcp_sock.is_mptcp, request_join for the join, mp_capable
 * for the initial subflow.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "mptcp_events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TCP_SYN_RECV_STATE 3
#define TCP_CLOSE_STATE 7
#define TCP_LISTEN_STATE 10

SEC("sockops")
int mpo_floor_empty(struct bpf_sock_ops *ops)
{
	return 1;
}

static __always_inline struct tcp_sock *mptcp_subflow(struct bpf_sock_ops *ops)
{
	struct bpf_sock *bsk = ops->sk;
	if (!bsk)
		return NULL;
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(bsk);
	return tp && tp->is_mptcp ? tp : NULL;
}

static __always_inline bool outbound_join(struct tcp_sock *tp)
{
	struct mptcp_subflow_context *ctx = tp->inet_conn.icsk_ulp_data;
	return BPF_CORE_READ_BITFIELD_PROBED(ctx, request_join);
}

static __always_inline bool mp_capable(struct tcp_sock *tp)
{
	struct mptcp_subflow_context *ctx = tp->inet_conn.icsk_ulp_data;
	return BPF_CORE_READ_BITFIELD_PROBED(ctx, mp_capable);
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MPO_DEFAULT_RINGBUF_BYTES);
} mpo_floor_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} mpo_floor_queued SEC(".maps");

/* The daemon's policy (subflow_tracer.bpf.c, emit): the loader sets both
 * from sources/bpf/ring_wakeup for this ring, as the daemon does for its
 * own. */
const volatile __u64 mpo_floor_wake_above_bytes = MPO_DEFAULT_RINGBUF_BYTES / 4;
const volatile __u64 mpo_floor_wake_check_mask = 0;

static __always_inline void send_record(void)
{
	struct mpo_event *e = bpf_ringbuf_reserve(&mpo_floor_events, sizeof(*e), 0);
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	__u32 zero = 0;
	__u64 *queued = bpf_map_lookup_elem(&mpo_floor_queued, &zero);
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (queued && (++*queued & mpo_floor_wake_check_mask) == 0 &&
	    bpf_ringbuf_query(&mpo_floor_events, BPF_RB_AVAIL_DATA) > mpo_floor_wake_above_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* The daemon's callbacks, asked for on the subflows it asks on; with
 * `carry`, a record wherever the daemon sends an event on a churned
 * connection: a join's SYN (created), an initial subflow established as
 * MPTCP, a join accepted (its first segment after the SYN-ACK), every
 * accepted subflow, and every subflow's close. `carry` is a constant in
 * each program below, so the flags program holds no ring code at all. */
static __always_inline int daemon_callbacks(struct bpf_sock_ops *ops, const bool carry)
{
	struct tcp_sock *tp;
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		tp = mptcp_subflow(ops);
		if (tp && outbound_join(tp)) {
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
			if (carry)
				send_record();
		}
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		if (mptcp_subflow(ops)) {
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
			if (carry)
				send_record();
		}
		break;
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		if (mptcp_subflow(ops))
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		tp = mptcp_subflow(ops);
		if (tp && outbound_join(tp)) {
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags |
							       BPF_SOCK_OPS_PARSE_ALL_HDR_OPT_CB_FLAG);
		} else if (tp && mp_capable(tp)) {
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
			if (carry)
				send_record();
		}
		break;
	case BPF_SOCK_OPS_PARSE_HDR_OPT_CB:
		/* The daemon stops at the segment that accepts the join. */
		bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags &
						       ~BPF_SOCK_OPS_PARSE_ALL_HDR_OPT_CB_FLAG);
		if (carry)
			send_record();
		break;
	case BPF_SOCK_OPS_STATE_CB:
		/* A listener's close, a second CLOSE, or a child that never got
		 * past SYN_RECV: the daemon sends nothing for those. */
		if (carry && ops->args[1] == TCP_CLOSE_STATE && ops->args[0] != TCP_CLOSE_STATE &&
		    ops->args[0] != TCP_LISTEN_STATE && ops->args[0] != TCP_SYN_RECV_STATE && mptcp_subflow(ops))
			send_record();
		break;
	}
	return 1;
}

SEC("sockops")
int mpo_floor_flags(struct bpf_sock_ops *ops)
{
	return daemon_callbacks(ops, false);
}

SEC("sockops")
int mpo_floor_ring(struct bpf_sock_ops *ops)
{
	return daemon_callbacks(ops, true);
}

#include "census.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CENSUS_OPS + CENSUS_STATES);
	__type(key, __u32);
	__type(value, __u64);
} mpo_census_counts SEC(".maps");

static __always_inline void census_add(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&mpo_census_counts, &slot);
	if (v)
		*v += 1;
}

SEC("sockops")
int mpo_census(struct bpf_sock_ops *ops)
{
	__u32 op = ops->op;
	if (op < CENSUS_OPS)
		census_add(op);
	if (op == BPF_SOCK_OPS_STATE_CB) {
		__u32 state = ops->args[1];
		if (state < CENSUS_STATES)
			census_add(CENSUS_OPS + state);
	}
	return 1;
}
