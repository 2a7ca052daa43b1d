// Pathological inputs (1 MB of one character, 100k spaces, mixed scripts, NUL bytes, special-token
// strings at every position, empty text) against the ids tokenizers and sentencepiece gave
// (fixtures/pathological.jsonl, made by make_fixtures.py), plus the invalid-UTF-8 policy.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>

#include "text_test_util.hpp"

using namespace seqflow::text;

namespace {
// sha256 of the ids as little-endian int32 (a small, self-contained implementation).
std::string sha256_ids(const std::vector<int32_t>& ids) {
  static const uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  std::string m(ids.size() * 4, '\0');
  for (size_t i = 0; i < ids.size(); ++i)
    for (int b = 0; b < 4; ++b)
      m[4 * i + b] = static_cast<char>((static_cast<uint32_t>(ids[i]) >> (8 * b)) & 0xFF);
  const uint64_t bits = static_cast<uint64_t>(m.size()) * 8;
  m += static_cast<char>(0x80);
  while (m.size() % 64 != 56) m += '\0';
  for (int b = 7; b >= 0; --b) m += static_cast<char>((bits >> (8 * b)) & 0xFF);
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  auto rot = [](uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = (static_cast<uint32_t>(static_cast<unsigned char>(m[off + 4 * i])) << 24) |
             (static_cast<uint32_t>(static_cast<unsigned char>(m[off + 4 * i + 1])) << 16) |
             (static_cast<uint32_t>(static_cast<unsigned char>(m[off + 4 * i + 2])) << 8) |
             static_cast<uint32_t>(static_cast<unsigned char>(m[off + 4 * i + 3]));
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rot(w[i - 15], 7) ^ rot(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rot(w[i - 2], 17) ^ rot(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t t1 = hh + (rot(e, 6) ^ rot(e, 11) ^ rot(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      const uint32_t t2 = (rot(a, 2) ^ rot(a, 13) ^ rot(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
  }
  char out[65];
  for (int i = 0; i < 8; ++i) std::snprintf(out + 8 * i, 9, "%08x", h[i]);
  return out;
}
}  // namespace

TEST_CASE("pathological inputs give the reference libraries' ids", "[text][shared]") {
  if (!text_test::have_shared()) {
    WARN("SKIP: " << text_test::shared_tokenizers() << " is absent");
    return;
  }
  std::map<std::string, std::unique_ptr<Tokenizer>> toks;
  const auto recs = text_test::read_jsonl(std::string(TEXT_FIXTURES) + "/pathological.jsonl");
  REQUIRE(recs.size() >= 200);
  for (const auto& r : recs) {
    const std::string name = r.at("tokenizer");
    if (!toks.count(name)) toks[name] = load_tokenizer(text_test::shared_tokenizers() + "/" + name, {});
    std::string text;
    if (!r.at("text").is_null()) {
      text = r.at("text");
    } else {
      const std::string rep = r.at("repeat");
      for (int64_t i = 0; i < r.at("count").get<int64_t>(); ++i) text += rep;
    }
    INFO(r.at("case").get<std::string>()
         << " with " << name << " add_special_tokens=" << r.at("add_special_tokens"));
    const auto got = text_test::encode(*toks[name], text, r.at("add_special_tokens"));
    CHECK(got.size() == r.at("n").get<size_t>());
    if (r.contains("ids")) CHECK(got == r.at("ids").get<std::vector<int32_t>>());
    else CHECK(sha256_ids(got) == r.at("sha256").get<std::string>());
  }
}

TEST_CASE("invalid UTF-8 fails with the offset; tiktoken mode maps WTF-8 surrogates to U+FFFD",
          "[text][shared]") {
  if (!text_test::have_shared()) return;
  const auto qwen = load_tokenizer(text_test::shared_tokenizers() + "/qwen3/tokenizer.json", {});
  Encoding e;
  try {
    qwen->encode(std::string("ab\xFF"
                             "c"),
                 true, false, e);
    FAIL("no error");
  } catch (const TokenizerError& err) {
    CHECK(std::string(err.what()).find("not valid UTF-8: byte 0xFF at offset 2") != std::string::npos);
  }
  try {
    qwen->encode(std::string("x\xED\xA0\x80y"), true, false, e);
    FAIL("no error");
  } catch (const TokenizerError& err) {
    CHECK(std::string(err.what()).find("lone surrogate (WTF-8)") != std::string::npos);
  }
}
