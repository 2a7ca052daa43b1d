#include "io/npy.hpp"
#include "temp_dir.hpp"

#include <seqflow/sdk.hpp>

#include <catch2/catch.hpp>

#include <cstring>

using namespace seqflow::io;
using seqflow::io::test::TempDir;

namespace {

// A version 1.0 preamble: magic, version, little-endian u16 header length.
std::string v1(const std::string& dict) {
  std::string s("\x93NUMPY\x01\x00", 8);
  s += static_cast<char>(dict.size() & 0xff);
  s += static_cast<char>(dict.size() >> 8);
  return s + dict;
}

// Versions 2.0 and 3.0 use a u32 length.
std::string v2(const std::string& dict, char major = '\x02') {
  std::string s("\x93NUMPY", 6);
  s += major;
  s += '\0';
  for (int i = 0; i < 4; ++i) s += static_cast<char>((dict.size() >> (8 * i)) & 0xff);
  return s + dict;
}

template <class T>
std::string raw(std::initializer_list<T> values) {
  std::string s(values.size() * sizeof(T), '\0');
  std::memcpy(s.data(), std::data(values), s.size());
  return s;
}

}  // namespace

TEST_CASE("npy 1.0 headers are parsed: dtype, order, shape, data offset") {
  std::string bytes = v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }  \n");
  REQUIRE(npy_header_length(bytes) == 10 + 62);
  NpyHeader h = parse_npy_header(bytes);
  CHECK(h.dtype == SF_DTYPE_F32);
  CHECK(h.descr == "<f4");
  CHECK_FALSE(h.fortran_order);
  CHECK(h.shape == std::vector<int64_t>{2, 3});
  CHECK(h.item_size == 4);
  CHECK_FALSE(h.swap_bytes);
  CHECK(h.data_offset == 72);
  CHECK(h.numel == 6);
  CHECK(h.data_bytes() == 24);
}

TEST_CASE("npy headers: key order, quoting, rank 0 and 1, Python 2 longs, every dtype") {
  NpyHeader h = parse_npy_header(v1("{\"shape\": (), \"fortran_order\": True, \"descr\": \"|u1\"}\n"));
  CHECK(h.shape.empty());
  CHECK(h.numel == 1);
  CHECK(h.fortran_order);
  CHECK(h.dtype == SF_DTYPE_U8);

  CHECK(parse_npy_header(v1("{'descr':'<i8','fortran_order':False,'shape':(5,)}")).shape ==
        std::vector<int64_t>{5});
  CHECK(parse_npy_header(v1("{'descr': '<i4', 'fortran_order': False, 'shape': (3L, 4L), }")).shape ==
        std::vector<int64_t>{3, 4});
  CHECK(parse_npy_header(v1("{'descr': '<i4', 'fortran_order': False, 'shape': (0, 4), }")).numel == 0);

  struct Case {
    const char* descr;
    sf_dtype dtype;
    size_t size;
    bool swap;
  } cases[] = {
      {"<f4", SF_DTYPE_F32, 4, false}, {">f4", SF_DTYPE_F32, 4, true},  {"<f2", SF_DTYPE_F16, 2, false},
      {">f2", SF_DTYPE_F16, 2, true},  {"<i4", SF_DTYPE_I32, 4, false}, {">i8", SF_DTYPE_I64, 8, true},
      {"|u1", SF_DTYPE_U8, 1, false},  {"|i1", SF_DTYPE_I8, 1, false},  {"|b1", SF_DTYPE_U8, 1, false},
      {"<u1", SF_DTYPE_U8, 1, false},  {"=i4", SF_DTYPE_I32, 4, false}};
  for (const Case& c : cases) {
    INFO(c.descr);
    NpyHeader x = parse_npy_header(
        v1(std::string("{'descr': '") + c.descr + "', 'fortran_order': False, 'shape': (1,), }"));
    CHECK(x.dtype == c.dtype);
    CHECK(x.item_size == c.size);
    CHECK(x.swap_bytes == c.swap);
  }
}

TEST_CASE("npy 2.0 and 3.0 headers have a 4-byte length") {
  std::string dict = "{'descr': '<f2', 'fortran_order': False, 'shape': (7,), }\n";
  std::string b2 = v2(dict);
  CHECK(npy_header_length(b2) == 12 + dict.size());
  NpyHeader h = parse_npy_header(b2);
  CHECK(h.data_offset == 12 + dict.size());
  CHECK(h.shape == std::vector<int64_t>{7});
  CHECK(parse_npy_header(v2(dict, '\x03')).dtype == SF_DTYPE_F16);
}

TEST_CASE("bad npy headers are errors with the byte offset") {
  CHECK_THROWS_WITH(npy_header_length("\x93NUMPZ\x01\x00\x10\x00"),
                    "at byte 0: not a .npy file (it does not start with \\x93NUMPY)");
  CHECK_THROWS_WITH(npy_header_length("PK\x03\x04"),
                    "at byte 0: not a .npy file (it does not start with \\x93NUMPY)");
  CHECK_THROWS_WITH(npy_header_length("\x93NUM"), Catch::StartsWith("at byte 4: header is truncated"));
  CHECK_THROWS_WITH(npy_header_length(std::string("\x93NUMPY\x01\x00\x10", 9)),
                    Catch::StartsWith("at byte 9: header is truncated"));
  CHECK_THROWS_WITH(
      npy_header_length(std::string("\x93NUMPY\x04\x00\x10\x00", 10)),
      "at byte 6: unsupported .npy format version 4.0 (versions 1.0, 2.0 and 3.0 are supported)");

  std::string full = v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n");
  CHECK_THROWS_WITH(
      parse_npy_header(full.substr(0, 40)),
      "at byte 40: header is truncated: it needs " + std::to_string(full.size()) + " bytes, the file has 40");

  // Offsets count from the start of the file: the dictionary starts at byte 10.
  CHECK_THROWS_WITH(
      parse_npy_header(v1("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }")),
      "at byte 20: unsupported dtype '<f8'; supported: <f4 <f2 <i4 <i8 |u1 |i1 |b1 (float64: save it "
      "as float32 with arr.astype(np.float32))");
  CHECK_THROWS_WITH(parse_npy_header(v1("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }")),
                    Catch::StartsWith("at byte 20: unsupported dtype '<c8'"));
  CHECK_THROWS_WITH(parse_npy_header(v1("{'descr': '|i4', 'fortran_order': False, 'shape': (2,), }")),
                    Catch::StartsWith("at byte 20: unsupported dtype '|i4'"));
  CHECK_THROWS_WITH(
      parse_npy_header(v1("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }")),
      Catch::StartsWith("at byte 20: unsupported dtype: structured arrays"));
  CHECK_THROWS_WITH(
      parse_npy_header(v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }")),
      "at byte 77: the array has more than 8 dimensions (at most 8 are supported)");
  CHECK_NOTHROW(
      parse_npy_header(v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1), }")));
  CHECK_THROWS_WITH(parse_npy_header(v1("{'descr': '<f4', 'fortran_order': False}")),
                    Catch::EndsWith("header has no 'shape' key"));
  CHECK_THROWS_WITH(parse_npy_header(v1("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}")),
                    "at byte 44: expected True or False for 'fortran_order'");
  CHECK_THROWS_WITH(parse_npy_header(v1("{'descr': '<f4', 'order': False, 'shape': (2,)}")),
                    "at byte 27: header has an unknown key 'order' (expected descr, fortran_order, shape)");
  CHECK_THROWS_WITH(parse_npy_header(v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1)}")),
                    "at byte 64: expected a non-negative integer in the shape");
  CHECK_THROWS_WITH(
      parse_npy_header(v1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}")),
      "at byte 27: header repeats the key 'descr'");
  CHECK_THROWS_WITH(
      parse_npy_header(
          v1("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}")),
      Catch::EndsWith("is too large"));
}

TEST_CASE("written headers are byte for byte what np.save writes") {
  // np.save pads the dictionary with 21 - len(str(shape[0])) spaces, then to a multiple of 64 bytes with
  // spaces and a final newline: 128 bytes for these small shapes.
  auto expect = [](const std::string& dict) {
    std::string s("\x93NUMPY\x01\x00\x76\x00", 10);
    s += dict;
    s.append(127 - s.size(), ' ');
    return s + "\n";
  };
  int64_t s23[] = {2, 3};
  CHECK(make_npy_header(SF_DTYPE_F32, s23) ==
        expect("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
  CHECK(make_npy_header(SF_DTYPE_I64, {}) ==
        expect("{'descr': '<i8', 'fortran_order': False, 'shape': (), }"));
  int64_t s5[] = {5};
  CHECK(make_npy_header(SF_DTYPE_U8, s5) ==
        expect("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }"));
  int64_t s123[] = {1, 2, 3};
  CHECK(make_npy_header(SF_DTYPE_F16, s123) ==
        expect("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2, 3), }"));
  CHECK(make_npy_header(SF_DTYPE_I8, s5).substr(10, 17) == "{'descr': '|i1', ");
  CHECK(make_npy_header(SF_DTYPE_I32, s5).substr(10, 17) == "{'descr': '<i4', ");
  CHECK_THROWS_WITH(make_npy_header(SF_DTYPE_BF16, s5), "dtype bf16 has no .npy equivalent");
  // Every written header parses back.
  int64_t big[] = {123456789012, 7};
  std::string h = make_npy_header(SF_DTYPE_I32, big);
  CHECK(h.size() % 64 == 0);
  CHECK(parse_npy_header(h).shape == std::vector<int64_t>{123456789012, 7});
}

TEST_CASE("big-endian data is swapped and Fortran order transposed into C order") {
  NpyHeader be = parse_npy_header(v1("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }"));
  std::string data("\x00\x00\x01\x02\xff\xff\xff\xfe", 8);
  std::vector<int32_t> out(2);
  npy_to_c_order(be, data.data(), out.data());
  CHECK(out == std::vector<int32_t>{0x0102, -2});

  // A 2x3 array [[0,1,2],[3,4,5]] in Fortran order is stored column by column: 0 3 1 4 2 5.
  NpyHeader f = parse_npy_header(v1("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }"));
  std::string fdata = raw<int32_t>({0, 3, 1, 4, 2, 5});
  std::vector<int32_t> c(6);
  npy_to_c_order(f, fdata.data(), c.data());
  CHECK(c == std::vector<int32_t>{0, 1, 2, 3, 4, 5});

  // 2x3x2, element (i,j,k) = 100i + 10j + k; Fortran offset = i + 2j + 6k.
  NpyHeader f3 = parse_npy_header(v1("{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3, 2), }"));
  std::vector<int64_t> stored(12);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k) stored[static_cast<size_t>(i + 2 * j + 6 * k)] = 100 * i + 10 * j + k;
  std::vector<int64_t> c3(12);
  npy_to_c_order(f3, stored.data(), c3.data());
  CHECK(c3 == std::vector<int64_t>{0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121});
}

TEST_CASE("NpyFileReader checks the file size against the header") {
  TempDir dir;
  std::string header = v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }\n");
  std::string good = dir.write("good.npy", header + raw<float>({1.5f, -2, 3, 4}));
  NpyFileReader r(good);
  CHECK(r.header().shape == std::vector<int64_t>{2, 2});
  std::vector<float> v(4);
  r.read_data(v.data());
  CHECK(v == std::vector<float>{1.5f, -2, 3, 4});

  std::string short_data = dir.write("short.npy", header + raw<float>({1, 2, 3}));
  size_t end = header.size() + 12;
  CHECK_THROWS_WITH(
      NpyFileReader(short_data),
      short_data + ": at byte " + std::to_string(end) +
          ": data is truncated: shape (2, 2) of '<f4' needs 16 bytes after the header, the file has 12");

  std::string long_data = dir.write("long.npy", header + raw<float>({1, 2, 3, 4, 5}));
  CHECK_THROWS_WITH(NpyFileReader(long_data), long_data + ": at byte " + std::to_string(header.size() + 16) +
                                                  ": 4 unexpected bytes after the array data");

  std::string cut = dir.write("cut.npy", header.substr(0, 30));
  CHECK_THROWS_WITH(NpyFileReader(cut), cut + ": at byte 30: header is truncated: it needs " +
                                            std::to_string(header.size()) + " bytes, the file has 30");

  std::string tiny = dir.write("tiny.npy", "\x93NUM");
  CHECK_THROWS_WITH(NpyFileReader(tiny), Catch::StartsWith(tiny + ": at byte 4: header is truncated"));

  std::string empty = dir.write("empty.npy", "");
  CHECK_THROWS_WITH(NpyFileReader(empty), Catch::StartsWith(empty + ": at byte 0"));

  CHECK_THROWS_WITH(NpyFileReader(dir.file("missing.npy")), Catch::StartsWith("cannot open '"));

  // Found by tests/fuzz (fuzz_npy): a header length of 0 or 1 ends the header inside the 12 bytes the
  // reader reads first; it used to read "total - 12" (wrapped around) bytes onto the stack.
  for (char length : {'\0', '\1'}) {
    std::string zero = dir.write("zero.npy", std::string("\x93NUMPY\x01\x00", 8) + length + '\0' +
                                                 std::string(40, 'x'));
    CHECK_THROWS_WITH(NpyFileReader(zero), Catch::StartsWith(zero + ": at byte"));
  }
}
