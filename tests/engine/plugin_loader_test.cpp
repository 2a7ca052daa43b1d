// The plugin loader against damaged plugin files and descriptors (elf_check.cpp, check_module in
// plugin_host.cpp): a plugin cut short used to kill the host with SIGBUS inside dlopen, and a descriptor
// declaring tables it does not give used to crash it while the pipeline was checked.
// The damaged files are copies of a real plugin of this build (seqflow_spectest.so), cut or patched by
// the test; what the loader must say comes from the ELF layout of that file, read here independently.
#include <elf.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>

#include "elf_check.hpp"
#include "plugin_host.hpp"
#include "support/test_files.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using seqflow::engine::check_module;
using seqflow::engine::elf_head_bytes;
using seqflow::engine::elf_problem;
using seqflow::engine::PluginError;

namespace {

const std::string kPlugin = SEQFLOW_SPEC_PLUGIN_DIR "/seqflow_spectest.so";

std::string problem_of(const std::string& image) {
  std::string_view head(image);
  return elf_problem(head.substr(0, std::min<uint64_t>(elf_head_bytes(head.substr(0, 64)), image.size())),
                     image.size());
}

// The end of the last loadable segment's bytes in the file.
uint64_t end_of_segments(const std::string& image) {
  Elf64_Ehdr eh;
  std::memcpy(&eh, image.data(), sizeof eh);
  uint64_t end = 0;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, image.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type == PT_LOAD) end = std::max<uint64_t>(end, ph.p_offset + ph.p_filesz);
  }
  return end;
}

}  // namespace

TEST_CASE("elf_problem accepts a real plugin and refuses it cut short inside its segments") {
  const std::string image = seqflow::test::read_file(kPlugin);
  REQUIRE(image.size() > 4096);
  CHECK(problem_of(image).empty());
  const uint64_t end = end_of_segments(image);
  REQUIRE(end > 1000);
  for (uint64_t keep : {uint64_t{0}, uint64_t{3}, uint64_t{40}, uint64_t{63}, uint64_t{64}, uint64_t{200},
                        end / 2, end - 1}) {
    INFO("kept " << keep << " of " << image.size() << " bytes");
    const std::string problem = problem_of(image.substr(0, keep));
    CHECK_FALSE(problem.empty());
  }
  CHECK(problem_of(image.substr(0, end / 2)).find("cut short") != std::string::npos);
}

TEST_CASE("elf_problem names a foreign machine, word size and file type") {
  const std::string image = seqflow::test::read_file(kPlugin);
  std::string other = image;
  other[EI_CLASS] = ELFCLASS32;
  CHECK(problem_of(other).find("64-bit") != std::string::npos);
  other = image;
  const uint16_t aarch64 = EM_AARCH64, exec = ET_EXEC;
  std::memcpy(other.data() + offsetof(Elf64_Ehdr, e_machine), &aarch64, 2);
  CHECK(problem_of(other).find("another CPU") != std::string::npos);
  other = image;
  std::memcpy(other.data() + offsetof(Elf64_Ehdr, e_type), &exec, 2);
  CHECK(problem_of(other).find("not a shared library") != std::string::npos);
  CHECK(problem_of("not an ELF file at all") == "no ELF header");
}

TEST_CASE("a plugin cut short is reported by `seqflow plugins` and `validate`, not a crash") {
  const std::string image = seqflow::test::read_file(kPlugin);
  const uint64_t end = end_of_segments(image);
  const fs::path dir = fs::temp_directory_path() / ("seqflow_cut_plugin_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "pipeline.toml") << "[[stage]]\nname = \"read\"\nplugin = \"spectest.source\"\n"
                                       << "[[stage]]\nname = \"write\"\nplugin = \"spectest.write\"\n"
                                       << "path = \"out.tsv\"\n";
  for (uint64_t keep : {uint64_t{100}, end / 3, end - 100}) {
    INFO("kept " << keep << " bytes");
    std::ofstream(dir / "seqflow_spectest.so", std::ios::binary) << image.substr(0, keep);
    const std::string validate = "validate '" + (dir / "pipeline.toml").string() + "'";
    for (const std::string& cmd : {std::string("plugins"), validate}) {
      const std::string line = "SEQFLOW_PLUGIN_PATH='" + dir.string() + "' '" SEQFLOW_BIN "' " + cmd +
                               " > '" + (dir / "out.txt").string() + "' 2>&1";
      const int status = std::system(line.c_str());
      INFO(cmd << ": " << seqflow::test::read_file(dir / "out.txt"));
      REQUIRE(WIFEXITED(status));
      CHECK(seqflow::test::read_file(dir / "out.txt").find("cut short") != std::string::npos);
    }
  }
  fs::remove_all(dir);
}

namespace {
sf_status ok_init(const sf_host*, sf_error*) { return SF_OK; }
sf_status ok_create(const sf_create_args*, void**, sf_error*) { return SF_OK; }
void ok_destroy(void*) {}
sf_status ok_process(void*, sf_context*, sf_record* const*, uint32_t, sf_error*) { return SF_OK; }

sf_module module_with(const sf_component* const* components, uint32_t n) {
  sf_module m{};
  m.magic = SF_ABI_MAGIC;
  m.abi_major = SF_ABI_MAJOR;
  m.abi_minor = SF_ABI_MINOR;
  m.struct_size = sizeof(sf_module);
  m.name = "fz";
  m.init = ok_init;
  m.num_components = n;
  m.components = components;
  return m;
}

sf_component transform() {
  sf_component c{};
  c.struct_size = sizeof(sf_component);
  c.name = "t";
  c.kind = SF_TRANSFORM;
  c.create = ok_create;
  c.destroy = ok_destroy;
  c.process = ok_process;
  return c;
}
}  // namespace

TEST_CASE("check_module refuses tables that are declared but not given") {
  const sf_component good = transform();
  const sf_component* list[] = {&good};
  sf_module m = module_with(list, 1);
  CHECK_NOTHROW(check_module("seqflow_fz.so", &m, "fz"));

  m = module_with(nullptr, 2);
  CHECK_THROWS_WITH(check_module("seqflow_fz.so", &m, "fz"), Catch::Contains("gives no table"));

  sf_component c = transform();
  c.num_params = 3;
  const sf_component* with_params[] = {&c};
  m = module_with(with_params, 1);
  CHECK_THROWS_WITH(check_module("seqflow_fz.so", &m, "fz"), Catch::Contains("3 parameters but no table"));

  sf_param_decl unnamed{sizeof(sf_param_decl), nullptr, SF_PARAM_INT, 0, "1", "", nullptr, nullptr};
  c = transform();
  c.num_params = 1;
  c.params = &unnamed;
  CHECK_THROWS_WITH(check_module("seqflow_fz.so", &m, "fz"), Catch::Contains("malformed parameter"));

  sf_field_decl nameless{sizeof(sf_field_decl), nullptr, nullptr, SF_READ,
                         SF_FIELD_STRING,       SF_DTYPE_ANY, 0,       ""};
  c = transform();
  c.num_fields = 1;
  c.fields = &nameless;
  CHECK_THROWS_WITH(check_module("seqflow_fz.so", &m, "fz"), Catch::Contains("malformed field"));

  c = transform();
  c.kind = static_cast<sf_component_kind>(7);
  CHECK_THROWS_WITH(check_module("seqflow_fz.so", &m, "fz"), Catch::Contains("unknown kind 7"));
}
