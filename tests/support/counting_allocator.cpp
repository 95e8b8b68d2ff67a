// Every C++ allocation of the program this is linked into, counted: the bytes live and their
// peak, which is written at exit to the file $UNET3D_COUNTED_PEAK_FILE names. Linked into
// predict_counted (predict's own objects with this), so that a test can hold the memory bound
// predict states against the bytes it allocated (std::vector, std::string and the host Buffers,
// which take their memory through operator new too). What C libraries take with malloc
// (nifticlib's header, zlib's streams) is not counted.
#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {

std::atomic<std::int64_t> live{0}, peak{0};

// p's bytes (as the C library sizes its block) added to the live ones.
void* counted(void* p) {
  if (p == nullptr) return p;
  const auto bytes = static_cast<std::int64_t>(malloc_usable_size(p));
  const std::int64_t now = live.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  std::int64_t seen = peak.load(std::memory_order_relaxed);
  while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
  return p;
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  live.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}

void* try_allocate(std::size_t bytes) noexcept {
  return counted(std::malloc(bytes == 0 ? 1 : bytes));
}

void* try_allocate(std::size_t bytes, std::align_val_t alignment) noexcept {
  const auto a = static_cast<std::size_t>(alignment);
  return counted(std::aligned_alloc(a, (bytes + a - 1) / a * a + (bytes == 0 ? a : 0)));
}

template <class... Alignment>
void* allocate(std::size_t bytes, Alignment... alignment) {
  void* p = try_allocate(bytes, alignment...);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

struct ReportAtExit {
  ~ReportAtExit() {
    const char* path = std::getenv("UNET3D_COUNTED_PEAK_FILE");
    if (path == nullptr) return;
    if (std::FILE* out = std::fopen(path, "w")) {
      std::fprintf(out, "%lld\n", static_cast<long long>(peak.load()));
      std::fclose(out);
    }
  }
} report_at_exit;

}  // namespace

void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return allocate(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return allocate(n, a);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return try_allocate(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return try_allocate(n);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return try_allocate(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return try_allocate(n, a);
}

void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  release(p);
}
