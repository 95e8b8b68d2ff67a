// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum safetensors checkpoints carry
// in __metadata__["data_crc32c"]. The SSE4.2 instruction computes it where the CPU has one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace unet3d {

// The CRC of `size` more bytes after a running value `crc` (0 to start): crc32c("123456789") is
// 0xE3069283.
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);

// As 8 lowercase hex digits.
std::string crc32c_hex(std::uint32_t crc);

}  // namespace unet3d
