#include <seqflow/half.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace seqflow;

TEST_CASE("f16 conversions match IEEE binary16 bit patterns") {
  CHECK(float_to_f16(1.0f) == 0x3c00);
  CHECK(float_to_f16(-2.0f) == 0xc000);
  CHECK(float_to_f16(0.5f) == 0x3800);
  CHECK(float_to_f16(65504.0f) == 0x7bff);               // largest finite
  CHECK(float_to_f16(65519.0f) == 0x7bff);               // below the rounding midpoint
  CHECK(float_to_f16(65520.0f) == 0x7c00);               // midpoint rounds to even: infinity
  CHECK(float_to_f16(std::ldexp(1.0f, -14)) == 0x0400);  // smallest normal
  CHECK(float_to_f16(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
  CHECK(float_to_f16(std::ldexp(1.0f, -25)) == 0x0000);  // exactly half of it: ties to even (0)
  CHECK(float_to_f16(std::ldexp(3.0f, -26)) == 0x0001);  // 0.75 of it rounds up
  CHECK(float_to_f16(std::ldexp(3.0f, -24)) == 0x0003);
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even gives 1.
  CHECK(float_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
  CHECK(float_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
  CHECK(float_to_f16(std::numeric_limits<float>::infinity()) == 0x7c00);
  CHECK((float_to_f16(std::nanf("")) & 0x7c00) == 0x7c00);
  CHECK((float_to_f16(std::nanf("")) & 0x03ff) != 0);

  CHECK(f16_to_float(0x3c00) == 1.0f);
  CHECK(f16_to_float(0xc000) == -2.0f);
  CHECK(f16_to_float(0x7bff) == 65504.0f);
  CHECK(f16_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(f16_to_float(0x0200) == std::ldexp(1.0f, -15));
  CHECK(f16_to_float(0x03ff) == 1023 * std::ldexp(1.0f, -24));
  CHECK(f16_to_float(0x3555) == 0.333251953125f);
  CHECK(std::isinf(f16_to_float(0xfc00)));
  CHECK(std::isnan(f16_to_float(0x7e00)));
  CHECK(std::signbit(f16_to_float(0x8000)));
}

TEST_CASE("bf16 conversions keep the top 16 bits with round-to-nearest-even") {
  CHECK(float_to_bf16(1.0f) == 0x3f80);
  CHECK(float_to_bf16(-0.5f) == 0xbf00);
  CHECK(float_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);      // tie -> even
  CHECK(float_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3f82);  // tie -> even
  CHECK(float_to_bf16(1.0f + std::ldexp(1.0f, -7)) == 0x3f81);
  CHECK((float_to_bf16(std::nanf("")) & 0x7fc0) == 0x7fc0);
  CHECK(bf16_to_float(0x3f80) == 1.0f);
  CHECK(bf16_to_float(0x4049) == 3.140625f);
}
