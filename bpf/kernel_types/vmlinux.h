/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel types the BPF programs read, and nothing else: what the
 * programs would take from a vmlinux.h dumped from one kernel's BTF, without
 * needing any kernel's BTF to build. The build uses this file unless it is
 * configured with -DOBSERVER_VMLINUX_H=host (cmake/BpfSkeleton.cmake), so the
 * object builds on CI runners and image builders whatever kernel they run.
 *
 * Why a few fields are enough: every struct below has
 * __attribute__((preserve_access_index)) (the pragma applies it to each
 * record, anonymous ones included, as bpftool's own dump does). clang then
 * compiles each read of a field as a CO-RE relocation that names the field,
 * and libbpf finds its offset, size and bit position in the running kernel's
 * BTF at load time. So:
 *   - the layout here is never used: fields are in no particular order, and
 *     one the kernel keeps in an anonymous struct or union (sock_common's
 *     skc_num, the subflow context's struct_group) is declared flat, since
 *     libbpf looks through anonymous members when it matches a name;
 *   - a field's name and kind (integer, pointer, struct, array) must be the
 *     kernel's; an integer's width may differ, and a bitfield may be declared
 *     as a plain integer, since bitfields are read with
 *     BPF_CORE_READ_BITFIELD (relocated offset, size and shifts);
 *   - a field a kernel lacks fails the load with the field's name, unless
 *     the read is guarded with bpf_core_field_exists() in
 *     mptcp_compat.bpf.h, where the flavor structs (struct x___flavor) for
 *     fields that moved also live.
 * Add a field here when a program starts reading it; the build fails with
 * "no member named" until then.
 *
 * The UAPI half (struct bpf_sock_ops, struct bpf_sock, the BPF_* enums and
 * flags, struct tcphdr, the __u32 family) is a stable ABI and comes from the
 * kernel's own headers as linux-libc-dev ships them: those are not relocated,
 * the verifier translates context accesses itself.
 */
#ifndef MPTCP_OBSERVER_KERNEL_TYPES_H
#define MPTCP_OBSERVER_KERNEL_TYPES_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/tcp.h>
#include <stdbool.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* include/linux/ns_common.h */
struct ns_common {
	unsigned int inum;
};

/* include/net/net_namespace.h */
struct net {
	struct ns_common ns;
};

/* include/net/net_namespace.h: a struct holding one pointer (empty without
 * CONFIG_NET_NS, where nothing can read it) */
typedef struct {
	struct net *net;
} possible_net_t;

/* include/uapi/linux/in6.h, as the kernel's BTF has it */
struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

/* include/net/sock.h */
struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	unsigned char skc_state;
	int skc_bound_dev_if;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	int sk_err;
	int sk_err_soft;
	__u8 sk_shutdown;
};

/* include/net/inet_sock.h */
struct inet_sock {
	struct sock sk;
};

/* include/net/inet_connection_sock.h */
struct inet_connection_sock {
	struct inet_sock icsk_inet;
	void *icsk_ulp_data;
};

struct request_sock;

/* include/linux/tcp.h */
struct tcp_sock {
	struct inet_connection_sock inet_conn;
	__u32 srtt_us;
	bool is_mptcp;
	struct request_sock *fastopen_rsk;
};

/* net/mptcp/protocol.h. Mostly bitfields (see above): the flags and the
 * MP_RST fields are read with BPF_CORE_READ_BITFIELD. local_id is signed
 * since 6.8 (mptcp_compat.bpf.h); the signed relocation follows the
 * running kernel's type, not this one. */
struct mptcp_subflow_context {
	__u32 token;
	__u32 ssn_offset;
	__u32 request_mptcp : 1;
	__u32 request_join : 1;
	__u32 request_bkup : 1;
	__u32 mp_capable : 1;
	__u32 mp_join : 1;
	__u32 backup : 1;
	__u32 remote_key_valid : 1;
	__u32 mpc_drop : 1;
	bool fully_established;
	__s16 local_id;
	__u8 remote_id;
	__u8 reset_seen : 1;
	__u8 reset_transient : 1;
	__u8 reset_reason : 4;
};

#pragma clang attribute pop

#endif
