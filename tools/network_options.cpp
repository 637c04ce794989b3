// The options table's rows for a server that goes away or goes silent: how soon a silent one
// is noticed, and how long a copy waits for either to answer again.
#include <fmt/format.h>

#include "drivers/engine.hpp"
#include "scheduler/pipeline.hpp"
#include "scheduler/server_watch.hpp"
#include "tools/option_table.hpp"

namespace ferry {

namespace {
using C = Command;
}  // namespace

void AddNetworkOptions(std::vector<OptionSpec>& t) {
  t.push_back(
      {.names = "--network-timeout",
       .value = "SECONDS",
       .help = "How long a server may take to answer a new connection: connecting gives up "
               "after it, and each server is asked this often whether it still answers one; a "
               "server that does not (a firewall dropping packets, a hung proxy or server) has "
               "every connection to it cut, to be opened again as after a lost connection, so "
               "a silence is noticed within twice this. A long statement is never cut: its "
               "server still answers. 0: connect with the default and never ask",
       .default_value = fmt::format("{:g}", EndpointOptions{}.network_timeout),
       .reason = "a busy server still logs a client in within seconds; TCP keepalives notice "
                 "a cut cable in about two minutes, and never a silence that something on the "
                 "way still acknowledges",
       .env = "FERRY_NETWORK_TIMEOUT",
       .commands = {C::kRun, C::kPlan, C::kCheck, C::kVerify, C::kSync}});
  t.push_back({.names = "--reconnect-wait",
               .value = "SECONDS",
               .help = "How long a copy's or a sync's reader or writer waits for a server it lost "
                       "(restarting, failing over, silent) to answer again before its units "
                       "fail with the connection error (run: exit 5, --resume goes on; sync: "
                       "the next sync does)",
               .default_value = fmt::format("{:g}", EngineOptions{}.reconnect_wait),
               .reason = "a restart of a busy server with crash recovery takes tens of seconds",
               .env = "FERRY_RECONNECT_WAIT",
               .commands = {C::kRun, C::kSync}});
}

}  // namespace ferry
