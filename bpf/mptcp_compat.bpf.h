/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every kernel-version difference the BPF side copes with, in one place.
 * Reads go through CO-RE so one object runs on every kernel with BTF.
 */
#ifndef MPTCP_OBSERVER_COMPAT_BPF_H
#define MPTCP_OBSERVER_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/* Before 5.17 (commit 0c0a5ef809f9, "tcp: move inet->rx_dst_ifindex to
 * sk->sk_rx_dst_ifindex") the receive interface lived in inet_sock. */
struct inet_sock___pre517 {
	int rx_dst_ifindex;
} __attribute__((preserve_access_index));

struct sock___pre517 {
	int sk_rx_dst_ifindex;
} __attribute__((preserve_access_index));

static __always_inline __u32 mpo_sk_ifindex(struct sock *sk)
{
	int bound = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	if (bound > 0)
		return bound;
	if (bpf_core_field_exists(((struct sock___pre517 *)0)->sk_rx_dst_ifindex))
		return BPF_CORE_READ((struct sock___pre517 *)sk, sk_rx_dst_ifindex);
	return BPF_CORE_READ((struct inet_sock___pre517 *)sk, rx_dst_ifindex);
}

/* The subflow context hangs off the TCP socket as its ULP data; it is only
 * an MPTCP context when tcp_sock.is_mptcp is set. */
static __always_inline struct mptcp_subflow_context *mpo_subflow_ctx(struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	if (!BPF_CORE_READ(tp, is_mptcp))
		return NULL;
	return (struct mptcp_subflow_context *)BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_ulp_data);
}

/* Flags of struct mptcp_subflow_context are bitfields whose offsets moved
 * between kernels (and sit in a struct_group since 6.x); probed bitfield
 * reads resolve them on the running kernel. local_id was a u8 before 6.6
 * (commit 4f9c9c5b8c2b, "mptcp: fix local_id ... ") and is an s16 with -1
 * for "unset" since; the probed read sign-extends either way. */
#define MPO_SUBFLOW_FIELD(ctx, field) BPF_CORE_READ_BITFIELD_PROBED(ctx, field)

#endif
