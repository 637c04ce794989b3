#include "tests/support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace ferry::test {

namespace {

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= size_t(n);
  }
  return true;
}

}  // namespace

int ServerPort(Db db) {
  auto env = [](const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
  };
  return db == Db::kPostgres ? env("FERRY_TEST_PG_PORT", 54329)
                             : env("FERRY_TEST_MARIADB_PORT", 33069);
}

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener_, 64) != 0) {
    throw std::runtime_error("tcp proxy: cannot listen");
  }
  socklen_t len = sizeof addr;
  getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stopping_.store(true);
  shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  close(listener_);
  {
    std::lock_guard lock(mutex_);
    for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& t : workers_) t.join();
}

std::string TcpProxy::Url(const TestDatabase& db) const {
  std::string url = db.Url();
  const std::string from = fmt::format(":{}/", ServerPort(db.db()));
  const size_t at = url.find(from);
  if (at == std::string::npos) throw std::runtime_error("tcp proxy: no port in " + url);
  return url.replace(at, from.size(), fmt::format(":{}/", port_));
}

void TcpProxy::DropAfter(std::vector<std::string> needles, int skip, int times) {
  std::lock_guard lock(mutex_);
  needles_ = std::move(needles);
  skip_ = skip;
  times_ = times;
  outage_length_ = std::chrono::milliseconds(0);
  silence_on_match_ = false;
}

void TcpProxy::Silence(std::chrono::milliseconds length) {
  std::lock_guard lock(mutex_);
  silent_until_ = std::chrono::steady_clock::now() + length;
}

void TcpProxy::SilenceAfter(std::vector<std::string> needles, int skip,
                            std::chrono::milliseconds length) {
  std::lock_guard lock(mutex_);
  needles_ = std::move(needles);
  skip_ = skip;
  times_ = 1;
  outage_length_ = length;
  silence_on_match_ = true;
}

void TcpProxy::Speak() {
  std::lock_guard lock(mutex_);
  silent_until_ = std::chrono::steady_clock::now();
}

bool TcpProxy::silent() {
  std::lock_guard lock(mutex_);
  return std::chrono::steady_clock::now() < silent_until_;
}

void TcpProxy::OutageAfter(std::vector<std::string> needles, int skip,
                           std::chrono::milliseconds length) {
  std::lock_guard lock(mutex_);
  needles_ = std::move(needles);
  skip_ = skip;
  times_ = 1;
  outage_length_ = length;
  silence_on_match_ = false;
}

void TcpProxy::WaitUntilBack() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (std::chrono::steady_clock::now() >= outage_until_) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void TcpProxy::Outage(std::chrono::milliseconds length) {
  std::lock_guard lock(mutex_);
  outage_until_ = std::chrono::steady_clock::now() + length;
  for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
}

void TcpProxy::AcceptLoop() {
  for (;;) {
    int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (stopping_) return;
      continue;
    }
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mutex_);
    if (std::chrono::steady_clock::now() < outage_until_) {
      close(client);  // the server is down
      continue;
    }
    workers_.emplace_back([this, client] { Serve(client); });
  }
}

bool TcpProxy::ShouldDrop(const char* data, size_t size) {
  std::lock_guard lock(mutex_);
  if (needles_.empty() || times_ <= 0 || size < 5) return false;
  // PostgreSQL: 'Q', int32 length, the text and a NUL (or a Parse 'P', int32 length, the
  // statement's name and the text). MariaDB: 3-byte length, sequence id,
  // COM_QUERY (3) or COM_STMT_PREPARE (0x16), the text; the header may come in a read of its
  // own.
  const bool query = data[0] == 'Q' || data[0] == 'P' || data[0] == '\x03' || data[0] == '\x16' ||
                     data[4] == '\x03' || data[4] == '\x16';
  if (!query) return false;
  const std::string_view chunk(data, size);
  for (const std::string& needle : needles_) {
    if (chunk.find(needle) == std::string_view::npos) return false;
  }
  if (skip_ > 0) {
    --skip_;
    return false;
  }
  --times_;
  return true;
}

void TcpProxy::Serve(int client) {
  int server = Connect(target_port_);
  if (server < 0) {
    close(client);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    sockets_.push_back(client);
    sockets_.push_back(server);
  }
  char buffer[65536];
  pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  bool open = true;
  while (open && !stopping_) {
    if (silent()) {
      // Nothing read, nothing sent: the peers' buffers fill and their writes stall, as on a
      // network that drops every packet.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (poll(fds, 2, 200) < 0) break;
    for (int i = 0; i < 2 && open; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = recv(fds[i].fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        open = false;
        break;
      }
      const int to = i == 0 ? server : client;
      if (!SendAll(to, buffer, size_t(n))) {
        open = false;
        break;
      }
      if (i == 0 && ShouldDrop(buffer, size_t(n))) {
        std::chrono::milliseconds outage{0};
        bool silence = false;
        {
          std::lock_guard lock(mutex_);
          outage = outage_length_;
          silence = silence_on_match_;
        }
        if (silence) {
          silences_.fetch_add(1);
          Silence(outage);
          break;  // not even a reply already there goes through
        }
        if (outage.count() > 0) {
          outages_.fetch_add(1);
          Outage(outage);  // cuts this connection too
          continue;
        }
        // The server has the statement; its reply never reaches the client. The server side
        // stays open a moment so the statement is read and run rather than cut short.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        drops_.fetch_add(1);
        open = false;
      }
    }
  }
  {
    std::lock_guard lock(mutex_);
    std::erase(sockets_, client);
    std::erase(sockets_, server);
  }
  shutdown(client, SHUT_RDWR);
  shutdown(server, SHUT_RDWR);
  close(client);
  close(server);
}

}  // namespace ferry::test
