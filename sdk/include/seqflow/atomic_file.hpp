// seqflow/atomic_file.hpp: write an output file under a temporary name and publish it by renaming.
//
// What it is: AtomicFile, the one way every writer of every module produces a file, so that an output
// is either complete or absent ("nothing lost, nothing half-written"). Header-only, POSIX.
//
// Lifecycle: the constructor creates "<folder>/.<name>.tmp-<pid>-<n>" beside the target (creating
// missing folders on the way); write() appends through a large buffer; close() flushes and closes the
// temporary but keeps it unpublished; commit() closes if needed and renames the temporary onto the
// target, replacing an existing file (atomic within one file system). A sink calls commit() from its
// finish(); the destructor of an uncommitted AtomicFile removes the temporary, which is how a failed
// or cancelled run leaves no partial output. There is no fsync: the guarantee is about runs that
// fail or crash, not about power loss.
//
// Threading: an object is used by one thread at a time. Distinct objects are independent; two objects
// for the same target get distinct temporaries (the last commit wins).
//
// Ownership: the object owns its temporary file and its stream; it is movable, not copyable.
//
// Errors: every failure (folder cannot be created, temporary cannot be created, short write, rename
// refused) throws seqflow::Error with code SF_ERR_IO and a message naming the target path and the
// system's reason.
#pragma once

#include <seqflow/sdk.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace seqflow {
inline namespace sdk_v1 {

class AtomicFile {
 public:
  static constexpr size_t kDefaultBuffer = size_t{1} << 20;

  /// Creates the temporary beside `path`. Missing parent folders are created.
  explicit AtomicFile(std::string path, size_t buffer_size = kDefaultBuffer) : path_(std::move(path)) {
    namespace fs = std::filesystem;
    fs::path target(path_);
    if (target.filename().empty())
      throw Error("cannot write '" + path_ + "': the path names a folder", SF_ERR_IO);
    std::error_code ec;
    if (fs::is_directory(target, ec))
      throw Error("cannot write '" + path_ + "': a folder of that name exists", SF_ERR_IO);
    fs::path folder = target.parent_path();
    if (!folder.empty()) {
      fs::create_directories(folder, ec);
      if (ec)
        throw Error("cannot create folder '" + folder.string() + "' for '" + path_ + "': " + ec.message(),
                    SF_ERR_IO);
    }
    // O_EXCL with a per-process counter: a name taken by another writer (another module has its own
    // counter) is skipped, never shared.
    std::string hidden = ".";
    hidden += target.filename().string();
    const std::string prefix = (folder / hidden).string() + ".tmp-" + std::to_string(::getpid()) + "-";
    int fd = -1;
    for (int attempt = 0; attempt < 1000 && fd < 0; ++attempt) {
      temp_ = prefix;
      temp_ += std::to_string(next_serial());
      fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0)
      throw Error("cannot create a temporary file for '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
    file_ = ::fdopen(fd, "wb");
    if (file_ == nullptr) {
      int e = errno;
      ::close(fd);
      ::unlink(temp_.c_str());
      throw Error("cannot open '" + temp_ + "': " + std::strerror(e), SF_ERR_IO);
    }
    std::setvbuf(file_, nullptr, _IOFBF, buffer_size);
  }

  AtomicFile(AtomicFile&& o) noexcept
      : path_(std::move(o.path_)),
        temp_(std::move(o.temp_)),
        file_(std::exchange(o.file_, nullptr)),
        pending_(std::exchange(o.pending_, false)),
        committed_(o.committed_) {}
  AtomicFile& operator=(AtomicFile&& o) noexcept {
    if (this != &o) {
      discard();
      path_ = std::move(o.path_);
      temp_ = std::move(o.temp_);
      file_ = std::exchange(o.file_, nullptr);
      pending_ = std::exchange(o.pending_, false);
      committed_ = o.committed_;
    }
    return *this;
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Removes the temporary unless commit() succeeded.
  ~AtomicFile() { discard(); }

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }
  bool committed() const { return committed_; }

  void write(const void* data, size_t size) {
    if (file_ == nullptr) throw Error("cannot write '" + path_ + "': the file is already closed", SF_ERR_IO);
    if (size != 0 && std::fwrite(data, 1, size, file_) != size)
      throw Error("cannot write '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
  }
  void write(std::string_view s) { write(s.data(), s.size()); }

  /// Flushes and closes the temporary without publishing it (for writers that commit many files at once).
  void close() {
    if (file_ == nullptr) return;
    std::FILE* f = std::exchange(file_, nullptr);
    bool ok = std::fflush(f) == 0;
    int e = errno;
    if (std::fclose(f) != 0 && ok) {
      ok = false;
      e = errno;
    }
    if (!ok) throw Error("cannot write '" + path_ + "': " + std::strerror(e), SF_ERR_IO);
  }

  /// Closes (if open) and renames the temporary onto the target.
  void commit() {
    if (!pending_) {
      if (committed_) return;
      throw Error("cannot commit '" + path_ + "': it was discarded", SF_ERR_IO);
    }
    close();
    if (std::rename(temp_.c_str(), path_.c_str()) != 0)
      throw Error("cannot rename '" + temp_ + "' to '" + path_ + "': " + std::strerror(errno), SF_ERR_IO);
    pending_ = false;
    committed_ = true;
  }

  /// Closes and removes the temporary now (no-op once committed or discarded).
  void discard() noexcept {
    if (file_ != nullptr) std::fclose(std::exchange(file_, nullptr));
    if (pending_) {
      ::unlink(temp_.c_str());
      pending_ = false;
    }
  }

 private:
  static unsigned long next_serial() {
    static std::atomic<unsigned long> serial{0};
    return serial.fetch_add(1, std::memory_order_relaxed);
  }

  std::string path_;
  std::string temp_;
  std::FILE* file_ = nullptr;
  bool pending_ = true;  // the temporary exists and is not yet published
  bool committed_ = false;
};

}  // namespace sdk_v1
}  // namespace seqflow
