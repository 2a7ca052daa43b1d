// seqflow._seqflow: pybind11 bindings over the embedding API (seqflow/embed.hpp) and the plugin catalog
// (seqflow/catalog.hpp). The Python layer (seqflow/__init__.py) builds the public API on these.
//
// Copies: a pushed NumPy array is copied once into the engine's payload buffer (64-byte aligned,
// reference-counted, owned by the record; the caller may change or free its array right after the push);
// a pulled tensor is not copied: the NumPy array's base owns a reference to the engine's buffer. Strings
// and bytes are copied both ways. The GIL is released while the engine works (run, finish, waiting).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <seqflow/catalog.hpp>
#include <seqflow/embed.hpp>

#include <cstring>
#include <string>

namespace py = pybind11;

namespace {

PyObject* g_error = nullptr;
PyObject* g_invalid = nullptr;
PyObject* g_pipeline_error = nullptr;
PyObject* g_record_error = nullptr;

PyObject* new_exception(py::module_& m, const char* name, PyObject* bases, const char* doc) {
  PyObject* e = PyErr_NewExceptionWithDoc((std::string("seqflow.") + name).c_str(), doc, bases, nullptr);
  m.add_object(name, py::handle(e));
  return e;
}

void raise(PyObject* type, const std::string& message,
           std::initializer_list<std::pair<const char*, std::string>> attrs) {
  py::object exc = py::reinterpret_steal<py::object>(PyObject_CallFunction(type, "s", message.c_str()));
  if (!exc) return;  // the call set its own error
  for (const auto& [k, v] : attrs) exc.attr(k) = py::str(v);
  PyErr_SetObject(type, exc.ptr());
}

struct DtypeName {
  sf_dtype dtype;
  const char* numpy;
};
constexpr DtypeName kDtypes[] = {
    {SF_DTYPE_F32, "float32"}, {SF_DTYPE_F16, "float16"}, {SF_DTYPE_I64, "int64"},  {SF_DTYPE_I32, "int32"},
    {SF_DTYPE_U8, "uint8"},    {SF_DTYPE_I8, "int8"},     {SF_DTYPE_BF16, "uint16"}};

seqflow::embed::Tensor to_tensor(const std::string& field, const py::array& a) {
  const std::string name = py::str(a.dtype().attr("name"));
  sf_dtype dt = SF_DTYPE_ANY;
  for (const DtypeName& d : kDtypes)
    if (name == d.numpy && d.dtype != SF_DTYPE_BF16) dt = d.dtype;
  if (dt == SF_DTYPE_ANY)
    throw seqflow::RecordError(
        "field '" + field + "': NumPy dtype " + name +
            " is not a seqflow tensor dtype (float32, float16, int64, int32, uint8, int8): "
            "convert it with .astype(...)",
        field);
  if (a.ndim() > SF_MAX_DIMS)
    throw seqflow::RecordError("field '" + field + "': an array of " + std::to_string(a.ndim()) +
                                   " dimensions, seqflow tensors have at most " + std::to_string(SF_MAX_DIMS),
                               field);
  std::vector<int64_t> shape(a.shape(), a.shape() + a.ndim());
  seqflow::embed::Tensor t = seqflow::embed::Tensor::allocate(dt, shape);
  // The one copy: from the caller's array (made contiguous first when it is not) into the engine's buffer.
  py::array c = py::array::ensure(a, py::array::c_style);
  if (t.nbytes() > 0) std::memcpy(t.mutable_data(), c.data(), t.nbytes());
  return t;
}

seqflow::embed::Record to_record(const py::handle& obj) {
  if (!PyDict_Check(obj.ptr()))
    throw seqflow::RecordError(
        std::string("a record is a dict of field name -> value, got ") + Py_TYPE(obj.ptr())->tp_name, "");
  seqflow::embed::Record r;
  for (auto [k, v] : py::reinterpret_borrow<py::dict>(obj)) {
    if (!PyUnicode_Check(k.ptr())) throw seqflow::RecordError("a record's keys are field names (str)", "");
    std::string name = py::reinterpret_borrow<py::str>(k);
    PyObject* p = v.ptr();
    if (PyUnicode_Check(p)) {
      Py_ssize_t n = 0;
      const char* s = PyUnicode_AsUTF8AndSize(p, &n);
      if (s == nullptr) throw py::error_already_set();
      r.set(std::move(name), std::string(s, static_cast<size_t>(n)));
    } else if (PyBytes_Check(p)) {
      r.set(std::move(name), seqflow::embed::Bytes{std::string(PyBytes_AS_STRING(p),
                                                               static_cast<size_t>(PyBytes_GET_SIZE(p)))});
    } else if (PyLong_Check(p)) {
      int overflow = 0;
      long long x = PyLong_AsLongLongAndOverflow(p, &overflow);
      if (overflow != 0)
        throw seqflow::RecordError("field '" + name + "': the int does not fit in 64 bits", name);
      r.set(std::move(name), static_cast<int64_t>(x));
    } else if (PyFloat_Check(p)) {
      r.set(std::move(name), PyFloat_AS_DOUBLE(p));
    } else if (py::isinstance<py::array>(v)) {
      seqflow::embed::Tensor t = to_tensor(name, py::reinterpret_borrow<py::array>(v));
      r.set(std::move(name), std::move(t));
    } else {
      throw seqflow::RecordError("field '" + name + "' is a " + Py_TYPE(p)->tp_name +
                                     ": a field is a str, bytes, int, float or NumPy array",
                                 name);
    }
  }
  return r;
}

py::object to_array(seqflow::embed::Tensor t) {
  const char* np = "uint8";
  for (const DtypeName& d : kDtypes)
    if (d.dtype == t.dtype()) np = d.numpy;
  py::dtype dt(np);
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t stride = dt.itemsize();
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  const void* data = t.data();
  // The array's base owns a reference to the engine's buffer: no copy.
  auto* owner = new seqflow::embed::Tensor(std::move(t));
  py::capsule base(owner, [](void* p) { delete static_cast<seqflow::embed::Tensor*>(p); });
  return py::array(dt, shape, strides, data, base);
}

py::dict to_dict(seqflow::embed::Record&& r) {
  py::dict d;
  for (auto& [name, value] : r.fields()) {
    py::object v;
    switch (value.index()) {
      case 0: {
        const std::string& s = std::get<std::string>(value);
        v = py::reinterpret_steal<py::object>(
            PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape"));
        if (!v) throw py::error_already_set();
        break;
      }
      case 1: v = py::bytes(std::get<seqflow::embed::Bytes>(value).data); break;
      case 2: v = py::int_(std::get<int64_t>(value)); break;
      case 3: v = py::float_(std::get<double>(value)); break;
      default: v = to_array(std::move(std::get<seqflow::embed::Tensor>(value)));
    }
    d[py::str(name)] = v;
  }
  return d;
}

py::dict stats(const seqflow::RunResult& r) {
  py::dict d;
  d["ok"] = r.ok;
  d["cancelled"] = r.cancelled;
  d["threads"] = r.threads;
  d["max_in_flight"] = r.max_in_flight;
  d["peak_live_records"] = r.peak_live_records;
  d["wall_seconds"] = r.wall_seconds;
  d["cpu_seconds"] = r.cpu_seconds;
  py::list stages;
  for (const seqflow::StageSummary& s : r.stages) {
    py::dict x;
    x["name"] = s.name;
    x["plugin"] = s.plugin;
    x["in"] = s.in;
    x["out"] = s.out;
    x["filtered"] = s.filtered;
    x["skipped"] = s.skipped;
    x["busy_seconds"] = s.busy_seconds;
    x["calls"] = s.calls;
    stages.append(x);
  }
  d["stages"] = stages;
  d["provenance"] =
      py::module_::import("json").attr("loads")(r.provenance_json.empty() ? "null" : r.provenance_json);
  return d;
}

// `shard_count` > 1: run shard `shard_index` of that many by record position (`--shard I/N`).
seqflow::RunOptions options(int threads, uint32_t shard_index, uint32_t shard_count) {
  seqflow::RunOptions o;
  o.threads = threads;
  o.print_summary = false;
  o.shard_index = shard_index;
  o.shard_count = shard_count;
  return o;
}

class PyStream {
 public:
  PyStream(seqflow::Stream s) : s_(std::move(s)) {}
  bool has_input() const { return s_.has_input(); }
  bool has_output() const { return s_.has_output(); }
  uint32_t max_in_flight() const { return s_.max_in_flight(); }
  bool has_room() const { return s_.has_room(); }
  // The caller checks has_room() first, so this push does not wait; the GIL is still released around it.
  bool push(const py::handle& obj) {
    seqflow::embed::Record r = to_record(obj);
    py::gil_scoped_release nogil;
    return s_.push(std::move(r));
  }
  // Takes up to `max` dicts from `it`, no more than the input side has room for, converting each as it is
  // taken (so an iterable that reuses its arrays is read as it yields them), and queues them with one lock
  // and one wake-up. Returns (records queued, iterator exhausted). A dict that does not convert raises
  // after the ones before it are queued.
  py::tuple push_from(const py::iterator& it, size_t max) {
    const size_t n = std::min(s_.room(), max);
    std::vector<seqflow::embed::Record> batch;
    batch.reserve(n);
    std::exception_ptr bad;
    bool exhausted = false;
    for (size_t i = 0; i < n; ++i) {
      PyObject* o = PyIter_Next(it.ptr());
      if (o == nullptr) {
        if (PyErr_Occurred() != nullptr) bad = std::make_exception_ptr(py::error_already_set());
        else exhausted = true;
        break;
      }
      try {
        batch.push_back(to_record(py::reinterpret_steal<py::object>(o)));
      } catch (...) {
        bad = std::current_exception();
        break;
      }
    }
    size_t queued = 0;
    if (!batch.empty()) {
      py::gil_scoped_release nogil;
      queued = s_.try_push_many(batch);
    }
    if (bad) std::rethrow_exception(bad);
    return py::make_tuple(queued, exhausted);
  }
  py::list pull_many(size_t max) {
    std::vector<seqflow::embed::Record> got = s_.try_pull_many(max);
    py::list out;
    for (seqflow::embed::Record& r : got) out.append(to_dict(std::move(r)));
    return out;
  }
  void close() { s_.close(); }
  py::object try_pull() {
    std::optional<seqflow::embed::Record> r = s_.try_pull();
    if (!r) return py::none();
    return to_dict(std::move(*r));
  }
  int wait(bool want_input, int timeout_ms) {
    py::gil_scoped_release nogil;
    return static_cast<int>(s_.wait(want_input, timeout_ms < 0 ? std::chrono::milliseconds::max()
                                                               : std::chrono::milliseconds(timeout_ms)));
  }
  void cancel() { s_.cancel(); }
  py::dict finish() {
    seqflow::RunResult r;
    {
      py::gil_scoped_release nogil;
      r = s_.finish();
    }
    return stats(r);
  }

 private:
  seqflow::Stream s_;
};

class PyPipeline {
 public:
  explicit PyPipeline(seqflow::Pipeline p) : p_(std::move(p)) {}
  // With the program attached to any embed stage, as stream() would create them; the same as `seqflow
  // validate` for a pipeline without one.
  void validate() {
    py::gil_scoped_release nogil;
    p_.check_stream_creation();
  }
  py::dict run(int threads, uint32_t shard_index, uint32_t shard_count) {
    seqflow::RunResult r;
    {
      py::gil_scoped_release nogil;
      r = p_.run(options(threads, shard_index, shard_count));
    }
    seqflow::throw_if_failed(r);
    return stats(r);
  }
  PyStream* stream(int threads, uint32_t shard_index, uint32_t shard_count) {
    if (shard_count == 0 || shard_index >= shard_count)
      throw seqflow::InvalidPipeline("shard " + std::to_string(shard_index) + "/" +
                                         std::to_string(shard_count) +
                                         " does not exist: the index is 0-based and below the count",
                                     "");
    return new PyStream(p_.stream(options(threads, shard_index, shard_count)));
  }
  std::string graph(const std::string& format) const { return p_.graph(format); }

 private:
  seqflow::Pipeline p_;
};

py::dict component_dict(const seqflow::ComponentInfo& c) {
  py::dict d;
  d["name"] = c.name;
  d["kind"] = c.kind;
  d["module"] = c.module;
  d["module_version"] = c.module_version;
  d["path"] = c.path;
  d["doc"] = c.doc;
  d["example"] = c.example;
  d["concurrency"] = c.concurrency;
  d["flags"] = c.flags;
  py::list params;
  for (const auto& p : c.params) {
    py::dict x;
    x["name"] = p.name;
    x["type"] = p.type;
    x["required"] = p.required;
    x["default"] = p.default_toml;
    x["doc"] = p.doc;
    x["choices"] = p.choices;
    params.append(x);
  }
  d["params"] = params;
  py::list fields;
  for (const auto& f : c.fields) {
    py::dict x;
    x["access"] = f.access;
    x["name"] = f.name;
    x["param"] = f.param;
    x["type"] = f.type;
    x["optional"] = f.optional;
    x["doc"] = f.doc;
    fields.append(x);
  }
  d["fields"] = fields;
  return d;
}

}  // namespace

PYBIND11_MODULE(_seqflow, m) {
  m.doc() = "seqflow engine bindings (use the `seqflow` package)";
  g_error = new_exception(m, "SeqflowError", PyExc_Exception, "Base of every seqflow error.");
  g_invalid =
      new_exception(m, "InvalidPipelineError",
                    py::make_tuple(py::handle(g_error), py::handle(PyExc_ValueError)).release().ptr(),
                    "The pipeline (file, override, plugin, stage creation) is invalid: `seqflow` would "
                    "exit 2. `position` is FILE:LINE:COLUMN or ''.");
  g_pipeline_error = new_exception(
      m, "PipelineError", py::make_tuple(py::handle(g_error), py::handle(PyExc_RuntimeError)).release().ptr(),
      "The run failed (`seqflow` would exit 1): `stage`, `plugin`, `record`, `reason`.");
  g_record_error = new_exception(
      m, "RecordError", py::make_tuple(py::handle(g_error), py::handle(PyExc_ValueError)).release().ptr(),
      "A pushed record does not match embed.input's `fields`: `field` names the field.");

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const seqflow::InvalidPipeline& e) {
      raise(g_invalid, e.what(), {{"position", e.position()}});
    } catch (const seqflow::PipelineError& e) {
      raise(g_pipeline_error, e.what(),
            {{"stage", e.stage()}, {"plugin", e.plugin()}, {"record", e.record()}, {"reason", e.reason()}});
    } catch (const seqflow::RecordError& e) {
      raise(g_record_error, e.what(), {{"field", e.field()}});
    } catch (const seqflow::EngineError& e) {
      raise(g_error, e.what(), {});
    }
  });

  m.def("add_plugin_dir", &seqflow::add_plugin_dir);
  m.def("load", [](const std::string& path, const std::vector<std::string>& overrides) {
    py::gil_scoped_release nogil;
    return new PyPipeline(seqflow::Pipeline::load(path, overrides));
  });
  m.def("load_string",
        [](const std::string& toml, const std::vector<std::string>& overrides, const std::string& base_dir) {
          py::gil_scoped_release nogil;
          return new PyPipeline(seqflow::Pipeline::load_string(toml, overrides, base_dir));
        });
  m.def("plugins", [] {
    py::list out;
    for (const seqflow::ModuleInfo& mod : seqflow::list_plugins()) {
      py::dict d;
      d["name"] = mod.name;
      d["version"] = mod.version;
      d["path"] = mod.path;
      d["doc"] = mod.doc;
      py::list comps;
      for (const auto& c : mod.components) comps.append(py::make_tuple(c.first, c.second));
      d["components"] = comps;
      out.append(d);
    }
    return out;
  });
  m.def("inspect", [](const std::string& name) { return component_dict(seqflow::describe_component(name)); });

  py::class_<PyStream>(m, "_Stream")
      .def_property_readonly("has_input", &PyStream::has_input)
      .def_property_readonly("has_output", &PyStream::has_output)
      .def_property_readonly("max_in_flight", &PyStream::max_in_flight)
      .def("has_room", &PyStream::has_room)
      .def("push", &PyStream::push)
      .def("push_from", &PyStream::push_from)
      .def("pull_many", &PyStream::pull_many)
      .def("close", &PyStream::close)
      .def("try_pull", &PyStream::try_pull)
      .def("wait", &PyStream::wait, py::arg("want_input"), py::arg("timeout_ms") = -1)
      .def("cancel", &PyStream::cancel)
      .def("finish", &PyStream::finish);

  py::class_<PyPipeline>(m, "_Pipeline")
      .def("validate", &PyPipeline::validate)
      .def("run", &PyPipeline::run, py::arg("threads") = -1, py::arg("shard_index") = 0,
           py::arg("shard_count") = 1)
      .def("stream", &PyPipeline::stream, py::arg("threads") = -1, py::arg("shard_index") = 0,
           py::arg("shard_count") = 1, py::keep_alive<0, 1>())
      .def("graph", &PyPipeline::graph, py::arg("format") = "dot");
}
