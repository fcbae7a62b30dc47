// The one place that decides which addresses the real-kernel harness may bind() or connect() to
// (issue #8, docs/robustness.md "Real-socket hygiene"). Every bind(2)/connect(2) on an IP socket
// in props/ and bench/ goes through guarded_bind()/guarded_connect() below; nothing else in the
// tree issues those system calls.
//
// The rule: a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) is always allowed. Any
// other address -- including the wildcards 0.0.0.0 and :: -- only when the calling thread is in
// a private network namespace that this process created (KernelNamespace::is_private()), where
// the only links are loopback and veth pairs between such namespaces. A refused address is a
// HarnessError, thrown before any system call is made.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>

#include "model/address.h"

namespace portlab::props {

// Why `a` must not be used, or nullopt when it may.
std::optional<std::string> refuse_unsafe_address(const model::IpAddress& a, bool in_private_namespace);

// The same for a socket address as passed to bind(2)/connect(2). Only AF_INET and AF_INET6 of
// the right length are understood; anything else is refused.
std::optional<std::string> refuse_unsafe_sockaddr(const sockaddr* sa, socklen_t len, bool in_private_namespace);

// bind(2) / connect(2) behind the guard. A refused address throws HarnessError (no system call);
// otherwise the system call's return value, with errno as the call left it.
int guarded_bind(int fd, const sockaddr* sa, socklen_t len, bool in_private_namespace);
int guarded_connect(int fd, const sockaddr* sa, socklen_t len, bool in_private_namespace);

}  // namespace portlab::props
