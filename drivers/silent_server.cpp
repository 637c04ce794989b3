#include "drivers/silent_server.hpp"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace ferry {

namespace {

bool SameServer(const ServerAddress& a, const ServerAddress& b) {
  if (a.address.ss_family != b.address.ss_family) return false;
  switch (a.address.ss_family) {
    case AF_INET: {
      const auto& x = reinterpret_cast<const sockaddr_in&>(a.address);
      const auto& y = reinterpret_cast<const sockaddr_in&>(b.address);
      return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
    }
    case AF_INET6: {
      const auto& x = reinterpret_cast<const sockaddr_in6&>(a.address);
      const auto& y = reinterpret_cast<const sockaddr_in6&>(b.address);
      return x.sin6_port == y.sin6_port &&
             std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
    }
    case AF_UNIX: {
      const auto& x = reinterpret_cast<const sockaddr_un&>(a.address);
      const auto& y = reinterpret_cast<const sockaddr_un&>(b.address);
      return a.length == b.length && std::strncmp(x.sun_path, y.sun_path, sizeof x.sun_path) == 0;
    }
    default:
      return false;
  }
}

}  // namespace

ServerAddress PeerOf(int fd) {
  ServerAddress out;
  if (fd < 0) return out;
  socklen_t length = sizeof out.address;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&out.address), &length) == 0) {
    out.length = length;
  }
  return out;
}

int CutConnectionsTo(const ServerAddress& server) {
  if (!server.known()) return 0;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return 0;
  int cut = 0;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    struct stat st {};
    if (fstat(int(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    // A listening or unconnected socket has no peer; only the server's connections match.
    if (SameServer(PeerOf(int(fd)), server) && shutdown(int(fd), SHUT_RDWR) == 0) ++cut;
  }
  closedir(dir);
  return cut;
}

}  // namespace ferry
