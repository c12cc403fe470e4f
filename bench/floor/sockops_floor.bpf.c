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

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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

SEC("sockops")
int mpo_floor_flags(struct bpf_sock_ops *ops)
{
	struct tcp_sock *tp;
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		tp = mptcp_subflow(ops);
		if (tp && outbound_join(tp))
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		if (mptcp_subflow(ops))
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		tp = mptcp_subflow(ops);
		if (tp && outbound_join(tp))
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags |
							       BPF_SOCK_OPS_PARSE_ALL_HDR_OPT_CB_FLAG);
		else if (tp && mp_capable(tp))
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
		break;
	case BPF_SOCK_OPS_PARSE_HDR_OPT_CB:
		/* The daemon stops at the segment that accepts the join. */
		bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags &
						       ~BPF_SOCK_OPS_PARSE_ALL_HDR_OPT_CB_FLAG);
		break;
	}
	return 1;
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
