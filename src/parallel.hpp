// A minimal fork-join loop for the CPU paths: split [0, count) into contiguous ranges, one per
// thread, and wait for all. Work is pure computation on disjoint outputs, so ranges never
// interact and the result does not depend on the number of threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <system_error>
#include <thread>
#include <vector>

namespace sparseflow {

// fn(begin, end) must not throw. item_cost is a rough count of elements per item.
template <typename Fn>
void parallel_for(int64_t count, int64_t item_cost, Fn &&fn) {
  constexpr int64_t kWorkPerThread = int64_t{1} << 18;  // below this a thread costs more than it saves
  constexpr int64_t kMaxThreads = 32;
  const int64_t hardware = std::max<int64_t>(1, std::thread::hardware_concurrency());
  const int64_t by_work = std::max<int64_t>(1, count * std::max<int64_t>(item_cost, 1) / kWorkPerThread);
  const int64_t threads = std::min({hardware, by_work, kMaxThreads, count});
  if (threads <= 1) {
    fn(int64_t{0}, count);
    return;
  }
  const int64_t per_thread = (count + threads - 1) / threads;
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(threads));
  int64_t begin = 0;
  for (; begin < count; begin += per_thread) {
    const int64_t end = std::min(count, begin + per_thread);
    try {
      workers.emplace_back([&fn, begin, end] { fn(begin, end); });
    } catch (const std::system_error &) {
      break;  // could not start another thread: the caller's thread does the rest
    }
  }
  if (begin < count) fn(begin, count);
  for (auto &worker : workers) worker.join();
}

}  // namespace sparseflow
