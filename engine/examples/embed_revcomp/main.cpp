// embed_revcomp: reads DNA sequences from stdin (one per line), streams them through a seqflow pipeline
// (embed.input -> dna.revcomp -> embed.output) and prints "id<TAB>reverse complement" in input order.
// One thread pushes while the main thread pulls; push() waits whenever max_in_flight records are ahead.
// Plugins are found through SEQFLOW_PLUGIN_PATH (or lib/seqflow/plugins beside the executable).
#include <seqflow/embed.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

namespace {

const char* kPipeline = R"(
[pipeline]
name = "embed-revcomp"
max_in_flight = 64

[[stage]]
name = "in"
plugin = "embed.input"
fields = { seq = "string" }

[[stage]]
name = "rc"
plugin = "dna.revcomp"

[[stage]]
name = "out"
plugin = "embed.output"
fields = ["id", "seq"]
)";

}  // namespace

int main(int argc, char** argv) {
  try {
    seqflow::Pipeline pipeline = seqflow::Pipeline::load_string(kPipeline);
    seqflow::RunOptions options;
    options.threads = argc > 1 ? std::stoi(argv[1]) : 2;
    seqflow::Stream stream = pipeline.stream(options);
    std::thread producer([&] {
      try {
        std::string line;
        for (int n = 1; std::getline(std::cin, line); ++n) {
          seqflow::embed::Record r;
          r.set("id", "seq" + std::to_string(n)).set("seq", line);
          if (!stream.push(std::move(r))) break;  // cancelled
        }
        stream.close();
      } catch (const seqflow::EngineError&) {
        stream.close();  // the run failed: pull() below reports why
      }
    });
    try {
      while (auto r = stream.pull())
        std::printf("%s\t%s\n", std::get<std::string>(*r->get("id")).c_str(),
                    std::get<std::string>(*r->get("seq")).c_str());
    } catch (...) {
      stream.cancel();
      producer.join();
      throw;
    }
    producer.join();
    const seqflow::RunResult result = stream.finish();
    std::fprintf(stderr, "%llu records, %d threads\n",
                 static_cast<unsigned long long>(result.stages.back().out), result.threads);
    return 0;
  } catch (const seqflow::PipelineError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const seqflow::EngineError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
