// Rank 0's settings for every rank, and one stop for all.
#include "tools/run/run_ranks.h"

#include <algorithm>
#include <csignal>
#include <string>

#include "runtime/device.h"
#include "runtime/interrupt.h"
#include "runtime/log.h"

namespace unet3d {
namespace {

void share_text(Communicator& ranks, std::string& text) {
  std::uint64_t size = text.size();
  ranks.broadcast(&size, sizeof size);
  text.resize(size);
  ranks.broadcast(text.data(), size);
}

}  // namespace

void share_settings(Communicator& ranks, RunSettings& settings) {
  if (!ranks.distributed()) return;
  std::string flat;  // key \0 value \0 ..., neither holding \0
  for (const auto& [key, value] : settings) flat += key + '\0' + value + '\0';
  share_text(ranks, flat);
  settings.clear();
  for (std::size_t at = 0; at < flat.size();) {
    const std::size_t key_end = flat.find('\0', at), value_end = flat.find('\0', key_end + 1);
    settings[flat.substr(at, key_end - at)] = flat.substr(key_end + 1, value_end - key_end - 1);
    at = value_end + 1;
  }
}

void check_same_device(Communicator& ranks, Device device) {
  if (!ranks.distributed()) return;
  double on_gpus = device == Device::cuda ? 1.0 : 0.0;
  ranks.sum(&on_gpus, 1);
  if (on_gpus != 0 && on_gpus != ranks.size())
    throw Error(ErrorKind::usage,
                concat(on_gpus, " of the ", ranks.size(),
                       " ranks compute on a GPU and the others on the CPU: every rank must use the "
                       "same kind of device (give --device cpu, or start only ranks that have a "
                       "GPU each)"));
}

void take_own_gpu(const Communicator& ranks, Device device) {
  if (!ranks.distributed()) return;
  const int local = local_rank();  // a malformed launcher variable fails on any device
  if (device == Device::cuda) choose_gpu(local);
}

void check_resumed_ranks(const RunSettings& settings, const RunConfig& c,
                         const Communicator& ranks) {
  const std::string had = settings.count("ranks") ? settings.at("ranks") : "1";
  if (c.resuming && had != std::to_string(ranks.size()))
    throw Error(ErrorKind::usage,
                concat("--resume ", c.out, ": the run trained on ", had, " rank(s), not ",
                       ranks.size(), "; resume it with as many (mpirun -np ", had, ")"));
  if (c.sync_bn && !ranks.distributed())
    log_warn("--sync-bn has nothing to synchronise in a single process");
}

int agreed_interrupt(Communicator& ranks) {
  if (!ranks.distributed()) return pending_interrupt();
  const int own = pending_interrupt();
  double asked[2] = {own == SIGINT ? 1.0 : 0.0, own == SIGTERM ? 1.0 : 0.0};
  ranks.sum(asked, 2);
  const int agreed = asked[1] > 0 ? SIGTERM : asked[0] > 0 ? SIGINT : 0;
  if (agreed != own) adopt_interrupt(agreed);  // every rank the same exit code
  return agreed;
}

bool same_on_every_rank(Communicator& ranks, const std::vector<std::size_t>& indices) {
  return ranks.same_as_rank0(indices.data(), indices.size() * sizeof(std::size_t));
}

std::vector<std::size_t> rank_share(const std::vector<std::size_t>& cases,
                                    const Communicator& ranks) {
  std::vector<std::size_t> share;
  for (auto i = static_cast<std::size_t>(ranks.rank()); i < cases.size();
       i += static_cast<std::size_t>(ranks.size()))
    share.push_back(cases[i]);
  return share;
}

DiceTable gather_table(Communicator& ranks, const DiceTable& mine,
                       const std::vector<std::string>& names) {
  DiceTable all;
  all.class_names = mine.class_names;
  all.volumes = names;
  const std::size_t classes = mine.class_names.size();
  // Each case's row is its scorer's, zeros elsewhere: the sum over the ranks is that row, NaN
  // (a class absent from the case) included, since x + 0 = x.
  std::vector<double> rows(names.size() * classes, 0.0);
  for (std::size_t i = 0; i < mine.per_volume.size(); ++i) {
    const std::size_t at = static_cast<std::size_t>(ranks.rank()) + i * ranks.size();
    std::copy(mine.per_volume[i].begin(), mine.per_volume[i].end(), rows.begin() + at * classes);
  }
  ranks.sum(rows.data(), rows.size());
  for (std::size_t v = 0; v < names.size(); ++v)
    all.per_volume.emplace_back(rows.begin() + v * classes, rows.begin() + (v + 1) * classes);
  all.finish();
  return all;
}

}  // namespace unet3d
