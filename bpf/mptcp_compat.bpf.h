/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every kernel-version difference the BPF side copes with, in one place.
 * Reads go through CO-RE so one object runs on every kernel with BTF:
 * socket fields as plain loads from the typed pointer sock_ops hands out,
 * subflow-context fields (the context hangs off a void *) through a typed
 * pointer in the build with MPO_TYPED_READS (6.2+), else as probe reads.
 *
 * The program as a whole needs 5.10: bpf_skc_to_tcp_sock() from sock_ops
 * (commit 1df8f55a37bd, "bpf: Enable bpf_skc_to_* sock casting helper to
 * networking prog type", 5.10), on top of socket storage and ctx->sk in
 * sock_ops (commit 1314ef561102, 5.3) and the BPF ring buffer (5.8). The
 * callback that watches a join's segments until the peer accepts it, with
 * bpf_load_hdr_opt() and ctx->skb_data, came in 5.10 too (commit
 * 0813a841566f, "bpf: tcp: Allow bpf prog to write and parse TCP header
 * option"). MPTCP itself, with MP_JOIN and the subflow context fields read
 * without a guard below (token, request_*, mp_capable, mp_join, backup,
 * request_bkup, local_id, remote_id, ssn_offset, fully_established), is
 * older (5.6/5.7). Anything newer than 5.10 is
 * read through a helper here that checks the field exists first.
 */
#ifndef MPTCP_OBSERVER_COMPAT_BPF_H
#define MPTCP_OBSERVER_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/* Since 5.16 (commit 0c0a5ef809f9, "tcp: move inet->rx_dst_ifindex to
 * sk->sk_rx_dst_ifindex", also backported to some stable trees) the receive
 * interface lives in struct sock; before, in inet_sock. */
struct sock___rx_dst_in_sock {
	int sk_rx_dst_ifindex;
} __attribute__((preserve_access_index));

struct inet_sock___rx_dst_in_inet {
	int rx_dst_ifindex;
} __attribute__((preserve_access_index));

static __always_inline __u32 mpo_sk_ifindex(struct sock *sk)
{
	int bound = sk->__sk_common.skc_bound_dev_if;
	if (bound > 0)
		return bound;
	if (bpf_core_field_exists(((struct sock___rx_dst_in_sock *)0)->sk_rx_dst_ifindex))
		return ((struct sock___rx_dst_in_sock *)sk)->sk_rx_dst_ifindex;
	return ((struct inet_sock___rx_dst_in_inet *)sk)->rx_dst_ifindex;
}

/* The subflow context hangs off the TCP socket as its ULP data; it is only
 * an MPTCP context when tcp_sock.is_mptcp is set. */
static __always_inline struct mptcp_subflow_context *mpo_subflow_ctx(struct sock *sk)
{
	if (!((struct tcp_sock *)sk)->is_mptcp)
		return NULL;
	return (struct mptcp_subflow_context *)((struct inet_connection_sock *)sk)->icsk_ulp_data;
}

#ifdef MPO_TYPED_READS
/* Linux 6.2 and later (commit a35b9af4ec2c, "bpf: Add a kfunc for generic
 * type cast"): bpf_rdonly_cast() gives the context's void pointer its type,
 * and the fields are read with plain (CO-RE relocated, fault-tolerant)
 * loads. A probe read a callback, the other way, costs about 30 ns even for
 * a few bytes: this object saves about 0.4 us of program time a churned
 * connection. Where the kfunc is missing, this object does not load and
 * user space loads the one built without MPO_TYPED_READS. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

struct mpo_subflow {
	const struct mptcp_subflow_context *kernel;
};

/* NULL when sk is not an MPTCP subflow. */
static __always_inline const struct mpo_subflow *mpo_subflow_read(struct mpo_subflow *sf, struct sock *sk)
{
	struct mptcp_subflow_context *ctx = mpo_subflow_ctx(sk);
	if (!ctx)
		return NULL;
	sf->kernel = bpf_rdonly_cast(ctx, bpf_core_type_id_kernel(struct mptcp_subflow_context));
	return sf;
}

/* Flags of struct mptcp_subflow_context are bitfields whose offsets moved
 * between kernels (and sit in a struct_group since 6.x); the relocated
 * bitfield read resolves them on the running kernel. */
#define MPO_SUBFLOW_FIELD(sf, field) BPF_CORE_READ_BITFIELD((sf)->kernel, field)
#else
/* Reached through a void pointer, the context's fields could only be read
 * one probe read each, about ten per event. One probe read copies the part
 * we use onto the stack instead, and the fields are read from the copy,
 * still at the running kernel's offsets (CO-RE). 192 bytes hold every field
 * we read on the kernels we know (the last, reset_reason, sits at byte 155
 * on 6.18); a field a future kernel moves past them is probe-read from the
 * context itself. */
#define MPO_SUBFLOW_COPY_BYTES 192

struct mpo_subflow {
	/* Aligned: the verifier wants stack loads naturally aligned. */
	__u8 copy[MPO_SUBFLOW_COPY_BYTES] __attribute__((aligned(8)));
	struct mptcp_subflow_context *kernel;
};

/* NULL when sk is not an MPTCP subflow. If the copy fails (it cannot for a
 * live socket's context, but the verifier cannot know), every field reads
 * 0, which reports nothing rather than something wrong. */
static __always_inline const struct mpo_subflow *mpo_subflow_read(struct mpo_subflow *sf, struct sock *sk)
{
	struct mptcp_subflow_context *ctx = mpo_subflow_ctx(sk);
	if (!ctx)
		return NULL;
	__builtin_memset(sf->copy, 0, sizeof(sf->copy));
	sf->kernel = ctx;
	__u32 size = bpf_core_type_size(struct mptcp_subflow_context);
	if (size > sizeof(sf->copy))
		size = sizeof(sf->copy);
	bpf_probe_read_kernel(sf->copy, size, ctx);
	return sf;
}

/* Flags of struct mptcp_subflow_context are bitfields whose offsets moved
 * between kernels (and sit in a struct_group since 6.x); the relocated
 * bitfield read resolves them on the running kernel. Only for fields that
 * exist on every kernel the program loads on (5.10+); newer ones have
 * helpers below. The offset test is a constant once relocated, so only one
 * branch is loaded. */
#define MPO_SUBFLOW_FIELD_END(field)                                              \
	(bpf_core_field_offset(((struct mptcp_subflow_context *)0)->field) +      \
	 bpf_core_field_size(((struct mptcp_subflow_context *)0)->field))
#define MPO_SUBFLOW_FIELD(sf, field)                                                          \
	(MPO_SUBFLOW_FIELD_END(field) <= MPO_SUBFLOW_COPY_BYTES                               \
		 ? BPF_CORE_READ_BITFIELD((const struct mptcp_subflow_context *)(sf)->copy, field) \
		 : BPF_CORE_READ_BITFIELD_PROBED((sf)->kernel, field))
#endif

/* local_id was a u8 with a separate local_id_valid bit until commit
 * a7cfe7766370 ("mptcp: fix data races on local_id", 6.8, backported to
 * stable), which made it an s16 that is negative until the path manager
 * assigns it. The relocated read sign-extends; report "unset" as 0, as the
 * kernel's own subflow_get_local_id() does. */
static __always_inline __u8 mpo_subflow_local_id(const struct mpo_subflow *c)
{
	long id = (long)MPO_SUBFLOW_FIELD(c, local_id);
	return id < 0 ? 0 : (__u8)id;
}

/* A field some kernels the program loads on lack reads 0 there. The
 * existence test is a constant once relocated, so on such a kernel the read
 * is not even loaded. */
#define MPO_SUBFLOW_FIELD_OR_0(sf, field)                                           \
	(bpf_core_field_exists(((struct mptcp_subflow_context *)0)->field)           \
		 ? MPO_SUBFLOW_FIELD(sf, field)                                      \
		 : 0)

/* MP_RST (RFC 8684 3.6): reset_seen, reset_transient and reset_reason came
 * with commit dc87efdb1a5c ("mptcp: add mptcp reset option support", 5.13).
 * Older kernels neither send nor parse MP_RST, so there is nothing to see. */
static __always_inline __u8 mpo_subflow_reset_seen(const struct mpo_subflow *c)
{
	return MPO_SUBFLOW_FIELD_OR_0(c, reset_seen);
}

static __always_inline __u8 mpo_subflow_reset_reason(const struct mpo_subflow *c)
{
	return MPO_SUBFLOW_FIELD_OR_0(c, reset_reason);
}

/* fully_established: for an MP_JOIN, the peer acknowledged our third ACK
 * (RFC 8684 3.2), set by check_fully_established(). It has existed since
 * MPTCP came (5.6), as a 1-bit field; current kernels made it a bool. The
 * relocated bitfield read takes both. */
static __always_inline __u8 mpo_subflow_fully_established(const struct mpo_subflow *c)
{
	return MPO_SUBFLOW_FIELD(c, fully_established);
}

/* remote_key_valid is set when the SYN-ACK carried MP_CAPABLE
 * (subflow_set_remote_key()). Unlike mp_capable, which
 * check_fully_established() clears when the connection falls back after the
 * handshake, it stays: it tells that an outbound initial subflow was
 * reported established. */
static __always_inline __u8 mpo_subflow_remote_key_valid(const struct mpo_subflow *c)
{
	return MPO_SUBFLOW_FIELD_OR_0(c, remote_key_valid);
}

/* mpc_drop came with MPTCP blackhole detection (6.12): the MP_CAPABLE SYNs
 * went unanswered, and the kernel (mptcp_active_detect_blackhole()) retried
 * the connect as plain TCP, clearing request_mptcp on the way. */
static __always_inline __u8 mpo_subflow_mpc_drop(const struct mpo_subflow *c)
{
	return MPO_SUBFLOW_FIELD_OR_0(c, mpc_drop);
}

#endif
