// The embedding API against real plugins: records pushed into embed.input and pulled from embed.output
// come back in push order through a transform (dna.revcomp, checked against a reverse complement computed
// here), tensors cross without copies, push stops at the bound, cancel stops a run without output, and
// every error reaches the program as the exception type it documents, with the CLI's message.
#include <catch2/catch.hpp>

#include <seqflow/embed.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <unistd.h>

namespace fs = std::filesystem;
using seqflow::Pipeline;
using seqflow::embed::Record;
using seqflow::embed::Tensor;

namespace {

std::string revcomp(const std::string& s) {
  std::string out(s.rbegin(), s.rend());
  for (char& c : out) c = c == 'A' ? 'T' : c == 'T' ? 'A' : c == 'C' ? 'G' : 'C';
  return out;
}

// A sequence that differs for every i, so that a record out of order cannot go unnoticed.
std::string seq_of(int i) {
  std::string s;
  for (int k = i; k > 0 || s.size() < 4; k /= 4) s += "ACGT"[k % 4];
  return s;
}

const char* kRevcomp = R"(
[pipeline]
name = "embed-revcomp"
max_in_flight = 16

[[stage]]
name = "in"
plugin = "embed.input"
fields = { seq = "string", n = "int" }

[[stage]]
name = "rc"
plugin = "dna.revcomp"
output = "rc"

[[stage]]
name = "out"
plugin = "embed.output"
fields = ["id", "n", "rc"]
)";

const char* kTensor = R"(
[[stage]]
name = "in"
plugin = "embed.input"
fields = { x = "tensor:f32", label = "string" }

[[stage]]
name = "out"
plugin = "embed.output"
)";

void add_test_plugins() { seqflow::add_plugin_dir(std::string(SEQFLOW_BINARY_DIR) + "/test_plugins"); }

}  // namespace

TEST_CASE("pushed records come out in push order at 1 and 2 threads", "[embed]") {
  Pipeline p = Pipeline::load_string(kRevcomp);
  for (int threads : {1, 2}) {
    seqflow::RunOptions o;
    o.threads = threads;
    o.print_summary = false;
    seqflow::Stream s = p.stream(o);
    REQUIRE(s.has_input());
    REQUIRE(s.has_output());
    constexpr int kN = 2000;
    // One thread pushes while this one pulls: push() blocks at the bound and resumes as records leave.
    std::thread producer([&] {
      for (int i = 0; i < kN; ++i) {
        Record r;
        r.set("id", "r" + std::to_string(i)).set("seq", seq_of(i)).set("n", int64_t{i});
        s.push(std::move(r));
      }
      s.close();
    });
    int got = 0;
    while (auto r = s.pull()) {
      REQUIRE(std::get<std::string>(*r->get("id")) == "r" + std::to_string(got));
      REQUIRE(std::get<int64_t>(*r->get("n")) == got);
      REQUIRE(std::get<std::string>(*r->get("rc")) == revcomp(seq_of(got)));
      REQUIRE(r->get("seq") == nullptr);  // not listed in the output's fields
      ++got;
    }
    producer.join();
    CHECK(got == kN);
    seqflow::RunResult res = s.finish();
    CHECK(res.ok);
    CHECK(res.threads == threads);
    CHECK(res.stages[1].in == kN);
    CHECK(res.stages[2].out == kN);
    CHECK(res.peak_live_records <= 16 + 16);  // the graph's own bound (+ one chunk the source holds)
  }
}

TEST_CASE("one thread alternates try_push, try_pull and wait", "[embed]") {
  Pipeline p = Pipeline::load_string(kRevcomp);
  seqflow::Stream s = p.stream();
  int next_in = 0, next_out = 0;
  constexpr int kN = 500;
  std::optional<Record> pending;
  while (true) {
    if (!pending && next_in < kN) {
      pending.emplace();
      pending->set("seq", seq_of(next_in)).set("n", int64_t{next_in});
    }
    if (pending && s.try_push(*pending)) {
      pending.reset();
      if (++next_in == kN) s.close();
      continue;
    }
    if (auto r = s.try_pull()) {
      REQUIRE(std::get<int64_t>(*r->get("n")) == next_out);
      // No id was pushed: the engine names records by position, the output has no id field.
      CHECK(r->get("id") == nullptr);
      ++next_out;
      continue;
    }
    if (s.wait(pending.has_value()) == seqflow::Stream::Ready::kDone) break;
  }
  CHECK(next_out == kN);
  CHECK(s.finish().ok);
}

TEST_CASE("batches: try_push_many takes what fits, try_pull_many what is ready", "[embed]") {
  Pipeline p = Pipeline::load_string(kRevcomp);  // max_in_flight = 16
  seqflow::Stream s = p.stream();
  constexpr int kN = 1000;
  std::vector<Record> batch;
  int next_in = 0, next_out = 0;
  while (next_out < kN) {
    while (batch.size() < 40 && next_in < kN) {
      Record r;
      r.set("seq", seq_of(next_in)).set("n", int64_t{next_in});
      batch.push_back(std::move(r));
      ++next_in;
    }
    const size_t room = s.room();
    const size_t queued = batch.empty() ? 0 : s.try_push_many(batch);
    CHECK(queued <= std::max<size_t>(room, 16));  // never past the bound
    CHECK(queued <= 16);
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(queued));
    if (next_in == kN && batch.empty()) s.close();
    for (Record& r : s.try_pull_many(100)) REQUIRE(std::get<int64_t>(*r.get("n")) == next_out++);
    if (queued == 0) s.wait(!batch.empty(), std::chrono::milliseconds(50));
  }
  CHECK(s.try_pull_many(100).empty());
  CHECK(s.finish().ok);
  // A bad record in a batch: the ones before it are queued, the error names its position.
  seqflow::Stream t = p.stream();
  std::vector<Record> mixed(3);
  mixed[0].set("seq", "ACGT").set("n", int64_t{0});
  mixed[1].set("seq", "ACGT");
  mixed[2].set("seq", "ACGT").set("n", int64_t{2});
  CHECK_THROWS_WITH(t.try_push_many(mixed),
                    "record 2 pushed to stage 'in': field 'n' is missing (the stage declares it an int)");
  t.close();
  auto first = t.pull();
  REQUIRE(first);
  CHECK(std::get<int64_t>(*first->get("n")) == 0);
  CHECK_FALSE(t.pull());
  CHECK(t.finish().ok);
}

TEST_CASE("push stops at the bound while nobody pulls", "[embed][backpressure]") {
  Pipeline p = Pipeline::load_string(kRevcomp);
  seqflow::Stream s = p.stream();
  REQUIRE(s.max_in_flight() == 16);
  int pushed = 0;
  auto fill = [&] {
    // Until try_push has said "full" for 200 ms in a row: the graph has taken all it may.
    auto since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - since < std::chrono::milliseconds(200)) {
      Record r;
      r.set("seq", seq_of(pushed)).set("n", int64_t{pushed});
      if (s.try_push(r)) {
        ++pushed;
        since = std::chrono::steady_clock::now();
        REQUIRE(pushed < 1000);  // unbounded buffering would run away here
      } else {
        REQUIRE(r.get("seq") != nullptr);  // a refused record is left intact
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  };
  fill();
  // Input queue (16) + the graph (16 records in chunks, one more chunk at the source) + output queue (16).
  CHECK(pushed >= 16);
  CHECK(pushed <= 16 * 4);
  int pulled = 0;
  for (int k = 0; k < 10; ++k) {
    auto r = s.pull();
    REQUIRE(r);
    CHECK(std::get<int64_t>(*r->get("n")) == pulled++);
  }
  const int before = pushed;
  fill();
  CHECK(pushed - before <= 10 + 16);  // room made by the pulls, not more
  s.close();
  while (auto r = s.pull()) CHECK(std::get<int64_t>(*r->get("n")) == pulled++);
  CHECK(pulled == pushed);
  CHECK(s.finish().ok);
}

TEST_CASE("tensors cross without copies and keep dtype, shape and bytes", "[embed]") {
  Pipeline p = Pipeline::load_string(kTensor);
  seqflow::Stream s = p.stream();
  const int64_t shape[] = {3, 2};
  Tensor t = Tensor::allocate(SF_DTYPE_F32, shape);
  auto* f = static_cast<float*>(t.mutable_data());
  for (int i = 0; i < 6; ++i) f[i] = 0.5f * static_cast<float>(i);
  const void* where = t.data();
  Record r;
  r.set("x", t).set("label", "a");
  t = Tensor();  // the record holds the only reference now
  s.push(std::move(r));
  s.close();
  auto out = s.pull();
  REQUIRE(out);
  const Tensor& x = std::get<Tensor>(*out->get("x"));
  CHECK(x.data() == where);  // the same payload, not a copy
  CHECK(x.dtype() == SF_DTYPE_F32);
  REQUIRE(x.shape().size() == 2);
  CHECK(x.shape()[0] == 3);
  CHECK(x.shape()[1] == 2);
  CHECK(static_cast<const float*>(x.data())[5] == 2.5f);
  CHECK(std::get<std::string>(*out->get("label")) == "a");
  CHECK_FALSE(s.pull());
  CHECK(s.finish().ok);
}

TEST_CASE("a pushed record that does not match the declaration is refused at the push", "[embed][errors]") {
  Pipeline p = Pipeline::load_string(kTensor);
  seqflow::Stream s = p.stream();
  const int64_t shape[] = {2};
  auto attempt = [&](Record r) -> std::string {
    try {
      s.push(std::move(r));
    } catch (const seqflow::RecordError& e) {
      return e.what();
    }
    return "";
  };
  Record missing;
  missing.set("label", "a");
  CHECK(attempt(missing) ==
        "record 1 pushed to stage 'in': field 'x' is missing (the stage declares it tensor<f32>)");
  Record typo;
  typo.set("x", Tensor::allocate(SF_DTYPE_F32, shape)).set("lable", "a");
  CHECK(attempt(typo) ==
        "record 1 pushed to stage 'in': field 'lable' is not declared in the stage's `fields` "
        "(id, x, label); did you mean 'label'?");
  Record dtype;
  dtype.set("x", Tensor::allocate(SF_DTYPE_I64, shape)).set("label", "a");
  CHECK(attempt(dtype) ==
        "record 1 pushed to stage 'in': field 'x' is a tensor of dtype i64, the stage "
        "declares tensor<f32>: convert it before pushing");
  Record type;
  type.set("x", Tensor::allocate(SF_DTYPE_F32, shape)).set("label", int64_t{3});
  CHECK(attempt(type) ==
        "record 1 pushed to stage 'in': field 'label' is an int, the stage declares it a string");
  // None of them was queued: the stream still works and numbers the next record 1.
  Record good;
  good.set("x", Tensor::allocate(SF_DTYPE_F32, shape)).set("label", "ok");
  s.push(std::move(good));
  s.close();
  auto out = s.pull();
  REQUIRE(out);
  CHECK(std::get<std::string>(*out->get("label")) == "ok");
  CHECK(s.finish().ok);
}

TEST_CASE("a stage failing mid-stream throws PipelineError with stage, record and reason",
          "[embed][errors]") {
  add_test_plugins();
  Pipeline p = Pipeline::load_string(R"(
[[stage]]
name = "in"
plugin = "embed.input"
fields = { text = "string" }

[[stage]]
name = "check"
plugin = "faulty.boom"

[[stage]]
name = "out"
plugin = "embed.output"
)");
  seqflow::Stream s = p.stream();
  std::thread producer([&] {
    try {
      for (int i = 0; i < 100; ++i) {
        Record r;
        r.set("id", "r" + std::to_string(i)).set("text", i == 40 ? "boom" : "fine");
        s.push(std::move(r));
      }
      s.close();
    } catch (const seqflow::PipelineError&) {
      // The run failed while this thread was pushing: the puller reports it.
    }
  });
  int pulled = 0;
  try {
    while (auto r = s.pull()) {
      CHECK(std::get<std::string>(*r->get("id")) == "r" + std::to_string(pulled));
      ++pulled;
    }
    FAIL("no PipelineError");
  } catch (const seqflow::PipelineError& e) {
    CHECK(std::string(e.what()) ==
          "stage 'check' (faulty.boom) record 'r40': record text 'boom' contains boom");
    CHECK(e.stage() == "check");
    CHECK(e.plugin() == "faulty.boom");
    CHECK(e.record() == "r40");
    CHECK(e.reason() == "record text 'boom' contains boom");
  }
  producer.join();
  CHECK(pulled <= 40);
  CHECK_THROWS_AS(s.finish(), seqflow::PipelineError);
}

TEST_CASE("cancel stops the run and its writer commits nothing", "[embed][cancel]") {
  const fs::path dir = fs::temp_directory_path() / ("seqflow-embed-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string toml = R"(
[[stage]]
name = "in"
plugin = "embed.input"
fields = { text = "string" }

[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out.jsonl"
fields = ["id", "text"]
)";
  Pipeline p = Pipeline::load_string(toml, {}, dir.string());
  {
    seqflow::Stream s = p.stream();
    CHECK_FALSE(s.has_output());
    for (int i = 0; i < 10; ++i) {
      Record r;
      r.set("id", std::to_string(i)).set("text", "t");
      s.push(std::move(r));
    }
    s.cancel();
    Record late;
    late.set("text", "late");
    CHECK_FALSE(s.push(std::move(late)));
    seqflow::RunResult res = s.finish();
    CHECK(res.cancelled);
    CHECK_FALSE(res.ok);
    CHECK_FALSE(fs::exists(dir / "out.jsonl"));
  }
  {
    seqflow::Stream s = p.stream();
    for (int i = 0; i < 3; ++i) {
      Record r;
      r.set("id", std::to_string(i)).set("text", "t");
      s.push(std::move(r));
    }
    CHECK(s.finish().ok);  // finish closes the input
    std::ifstream in(dir / "out.jsonl");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(all ==
          "{\"id\":\"0\",\"text\":\"t\"}\n{\"id\":\"1\",\"text\":\"t\"}\n{\"id\":\"2\",\"text\":\"t\"}\n");
  }
  {
    // Destroying a stream mid-run cancels it: no hang, no output.
    fs::remove(dir / "out.jsonl");
    seqflow::Stream s = p.stream();
    Record r;
    r.set("text", "t");
    s.push(std::move(r));
  }
  CHECK_FALSE(fs::exists(dir / "out.jsonl"));
  fs::remove_all(dir);
}

TEST_CASE("invalid pipelines throw InvalidPipeline with the CLI's message", "[embed][errors]") {
  try {
    Pipeline::load_string("[[stage]]\nname = \"in\"\nplugin = \"embed.inptu\"\nfields = {}\n");
    FAIL("no exception");
  } catch (const seqflow::InvalidPipeline& e) {
    const std::string m = e.what();
    CHECK(m.rfind("<string>:3:", 0) == 0);
    CHECK(m.find("did you mean 'embed.input'") != std::string::npos);
  }
  try {
    Pipeline::load_string("[[stage]\nname = 1\n", {}, "", "mine.toml");
    FAIL("no exception");
  } catch (const seqflow::InvalidPipeline& e) {
    CHECK(std::string(e.what()).rfind("mine.toml:1:", 0) == 0);
  }
  // Run by anything but a stream, embed.input cannot be created, and says why.
  Pipeline p = Pipeline::load_string(kTensor);
  seqflow::RunOptions o;
  o.print_summary = false;
  seqflow::RunResult r = p.run(o);
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("`seqflow run` cannot feed or drain it") != std::string::npos);
  CHECK_THROWS_AS(seqflow::throw_if_failed(r), seqflow::InvalidPipeline);
  CHECK_NOTHROW(p.check_stream_creation());
  // A pipeline with neither end is run(), not streamed.
  Pipeline plain = Pipeline::load_string(R"(
[[stage]]
name = "in"
plugin = "io.lines_read"
paths = ["nothing-*.txt"]
[[stage]]
name = "out"
plugin = "io.discard"
)");
  CHECK_THROWS_AS(plain.stream(), std::logic_error);
}
