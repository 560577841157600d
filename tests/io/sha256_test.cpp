// SHA-256 against the FIPS 180-4 example vectors and against sha256sum on a
// multi-megabyte input fed in uneven pieces.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "io/sha256.hpp"

namespace strata::io {
namespace {

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The 448-bit message: exactly fills the first block's data so the
  // length goes in a second padding block.
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

std::string command_output(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char chunk[256];
  while (std::fgets(chunk, sizeof chunk, pipe)) out += chunk;
  pclose(pipe);
  return out;
}

TEST(Sha256, MultiMegabyteMatchesSha256sum) {
  std::string data(5 * 1024 * 1024 + 77, '\0');
  std::uint64_t x = 88172645463325252ull;  // xorshift: all byte values, no pattern
  for (char& c : data) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  char path[] = "/tmp/strata-sha256-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path, std::ios::binary)
      .write(data.data(), static_cast<std::streamsize>(data.size()));
  const std::string expected = command_output(std::string("sha256sum ") + path).substr(0, 64);
  std::remove(path);
  ASSERT_EQ(expected.size(), 64u) << "sha256sum is not available";

  Sha256 hasher;  // uneven pieces cross block boundaries in every way
  std::size_t at = 0, piece = 1;
  while (at < data.size()) {
    const std::size_t take = std::min(piece, data.size() - at);
    hasher.update(data.data() + at, take);
    at += take;
    piece = piece * 3 % 9973 + 1;
  }
  EXPECT_EQ(hasher.hex_digest(), expected);
  EXPECT_EQ(sha256_hex(data), expected);
}

}  // namespace
}  // namespace strata::io
