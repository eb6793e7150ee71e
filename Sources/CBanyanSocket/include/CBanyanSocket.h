#ifndef C_BANYAN_SOCKET_H
#define C_BANYAN_SOCKET_H

#ifdef __linux__
#include <sys/socket.h>

/// accept4(2), which glibc declares only with _GNU_SOURCE (so Swift's Glibc module does not see
/// it): accepts a connection and sets flags such as SOCK_CLOEXEC on the new descriptor atomically.
int CBanyanSocket_accept4(int socket, struct sockaddr *address, socklen_t *length, int flags);
#endif

#endif
