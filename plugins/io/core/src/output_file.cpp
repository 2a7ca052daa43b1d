#include "io/output_file.hpp"

#include <vector>

#include <zlib.h>

namespace seqflow::io {
namespace {
constexpr size_t kDeflateChunk = size_t{256} << 10;
}

struct OutputFile::Deflater {
  z_stream zs{};
  std::vector<unsigned char> out = std::vector<unsigned char>(kDeflateChunk);
  ~Deflater() { deflateEnd(&zs); }
};

bool has_gzip_suffix(std::string_view path) { return path.size() > 3 && path.ends_with(".gz"); }

OutputFile::OutputFile(std::string path, bool gzip) : file_(std::move(path)) {
  if (gzip) {
    deflater_ = std::make_unique<Deflater>();
    if (deflateInit2(&deflater_->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
      deflater_.reset();
      throw Error("cannot start gzip compression for '" + file_.path() + "'", SF_ERR_INTERNAL);
    }
    pending_.reserve(kDeflateChunk);
  }
}

OutputFile::~OutputFile() = default;

void OutputFile::write(std::string_view data) {
  if (deflater_ == nullptr) {
    file_.write(data);
    return;
  }
  pending_.append(data);
  if (pending_.size() >= kDeflateChunk) deflate_pending(false);
}

void OutputFile::deflate_pending(bool finish) {
  z_stream& zs = deflater_->zs;
  zs.next_in = reinterpret_cast<Bytef*>(pending_.data());
  zs.avail_in = static_cast<uInt>(pending_.size());
  int flush = finish ? Z_FINISH : Z_NO_FLUSH;
  int rc;
  do {
    zs.next_out = deflater_->out.data();
    zs.avail_out = static_cast<uInt>(deflater_->out.size());
    rc = deflate(&zs, flush);
    if (rc == Z_STREAM_ERROR)
      throw Error("gzip compression failed for '" + file_.path() + "'", SF_ERR_INTERNAL);
    file_.write(deflater_->out.data(), deflater_->out.size() - zs.avail_out);
  } while (zs.avail_out == 0 || (finish && rc != Z_STREAM_END));
  pending_.clear();
}

void OutputFile::commit() {
  if (deflater_ != nullptr) deflate_pending(true);
  file_.commit();
}

}  // namespace seqflow::io
