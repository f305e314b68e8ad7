// The HTTP side of thaw sim on Boost.Beast: an acceptor and one C++20 coroutine per connection
// (keep-alive, any number of concurrent connections) on a small pool of io threads.
//
// Each request is read in two steps: the header first (so the service can route, authenticate
// and refuse before any body is read), then the body, which streams into an UploadSink for
// uploads (never held in memory) or into a string for small XML bodies. Responses are written
// as a header followed by the body sent from the object file in chunks with sendfile(2), which
// is also where fault injection applies (bandwidth limit, truncation, connection reset).
//
// Operations run synchronously on the io thread that read the request (SQLite and file work
// are short); a long CompleteMultipartUpload occupies one of the io threads meanwhile.
//
// Clients are untrusted: a request's header section is capped (S3's 8 KiB, 400
// RequestHeaderSectionTooLarge), in-memory bodies are capped per operation (Call::body_limit,
// 400 MaxMessageLengthExceeded), and a Watchdog closes connections that make no progress: a
// header must arrive whole within the idle timeout (so trickling it byte by byte does not help),
// bodies and responses must move at least once per idle timeout (400 RequestTimeout as S3).
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <utility>  // Boost 1.74 asio needs std::exchange declared first under C++20

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/credentials.h"
#include "s3/sqs_client.h"
#include "sim/s3_error.h"
#include "sim/service.h"
#include "sim/sim.h"

namespace thaw::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

// A Beast body that hands every received byte to an UploadSink.
struct SinkBody {
  using value_type = UploadSink*;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& sink) : sink_(sink) {}
    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t n = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        if (!sink_->Write(std::string_view(static_cast<const char*>(b.data()), b.size())).ok()) {
          ec = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
          return n;
        }
        n += b.size();
      }
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& sink_;
  };
};

constexpr size_t kChunkBytes = 1 << 20;
// S3 refuses more than 8 KiB of request headers. The request line is counted apart (Beast
// counts it in its own limit): a 1,024-byte key percent-encodes to 3 KiB and presigned URLs add
// their query string.
constexpr size_t kMaxHeaderSectionBytes = 8 * 1024;
constexpr size_t kMaxRequestLineBytes = 16 * 1024;

using SteadyClock = std::chrono::steady_clock;

// Cancels a connection's pending socket operations when its deadline passes without being
// pushed back. Runs as its own coroutine on the connection's strand, so it and the session
// never touch the socket at the same time; Stop() before the socket goes away.
class Watchdog {
 public:
  Watchdog(tcp::socket& sock, std::chrono::milliseconds timeout)
      : sock_(sock), timer_(sock.get_executor()), timeout_(timeout) {}
  // Pushes the deadline to now + the idle timeout (or `d` when shorter).
  void Arm() { deadline_ = SteadyClock::now() + timeout_; }
  void Arm(std::chrono::milliseconds d) { deadline_ = SteadyClock::now() + std::min(d, timeout_); }
  void Disarm() { deadline_ = SteadyClock::time_point::max(); }
  void Stop() {
    stopped_ = true;
    timer_.cancel();
  }
  bool fired() const { return fired_; }

  static awaitable<void> Run(std::shared_ptr<Watchdog> self) {
    // Wakes at least every quarter timeout: Arm() after Disarm() is noticed in time without
    // cancelling the timer on every request.
    auto tick =
        std::max<std::chrono::milliseconds>(self->timeout_ / 4, std::chrono::milliseconds(1));
    while (!self->stopped_) {
      auto now = SteadyClock::now();
      if (now >= self->deadline_) {
        self->fired_ = true;
        self->Disarm();
        beast::error_code ec;
        self->sock_.cancel(ec);
      }
      self->timer_.expires_at(std::min(self->deadline_, now + tick));
      beast::error_code ec;
      co_await self->timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }

 private:
  tcp::socket& sock_;
  asio::steady_timer timer_;
  std::chrono::milliseconds timeout_;
  SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
  bool stopped_ = false;
  bool fired_ = false;
};

// Bytes of a request's header fields as they arrived ("Name: value\r\n" each).
size_t HeaderSectionBytes(const http::fields& fields) {
  size_t n = 0;
  for (const auto& f : fields) n += f.name_string().size() + f.value().size() + 4;
  return n;
}

awaitable<void> Sleep(std::chrono::microseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  beast::error_code ec;
  co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
}

// Writes `resp`. Returns false when the connection must close (faults, errors).
awaitable<bool> WriteResponse(tcp::socket& sock, const Response& resp, const FaultPlan& faults,
                              unsigned version, bool keep_alive, Watchdog& dog) {
  beast::error_code ec;
  dog.Arm();
  http::response<http::empty_body> res{static_cast<http::status>(resp.status), version};
  for (const auto& [name, value] : resp.headers.entries()) res.set(name, value);
  res.set(http::field::server, "thaw-sim");
  res.set(http::field::date, FormatHttpDate(std::chrono::system_clock::now()));
  uint64_t length = resp.file ? resp.file->length : resp.body.size();
  bool no_body = resp.status == 204 || resp.status == 304;
  if (!resp.head && !no_body) res.set(http::field::content_length, std::to_string(length));
  if (resp.head || no_body) length = 0;
  res.keep_alive(keep_alive);
  bool cut = (faults.reset || faults.truncate);
  if (faults.reset && length == 0) co_return false;  // no body to break: drop the connection
  http::response_serializer<http::empty_body> sr{res};
  co_await http::async_write_header(sock, sr, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return false;
  if (length == 0) co_return keep_alive;

  uint64_t limit = cut ? length / 2 : length;
  uint64_t chunk = kChunkBytes;
  if (faults.bandwidth_bytes_per_s > 0) {
    // Paced in steps of 5 ms: what is sent before the first sleep arrives at once, and a link
    // of 90 MB/s does not bring a MiB in a millisecond (steps of 50 ms sent the first 4.5 MB of
    // a GET at once: a 1 MiB body seemed free, unlike S3's).
    chunk = std::clamp<uint64_t>(faults.bandwidth_bytes_per_s / 200, 16 << 10, kChunkBytes);
  }
  int fd = -1;
  if (resp.file) {
    fd = ::open(resp.file->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) co_return false;
  }
  auto start = std::chrono::steady_clock::now();
  uint64_t sent = 0;
  bool ok = true;
  if (fd >= 0) sock.native_non_blocking(true, ec);
  while (sent < limit && ok) {
    dog.Arm();  // a client that stops reading is dropped after the idle timeout
    size_t n = static_cast<size_t>(std::min<uint64_t>(chunk, limit - sent));
    if (fd >= 0) {
      // File bodies go with sendfile(2): no copy through user space (GET throughput).
      off_t off = static_cast<off_t>(resp.file->offset + sent);
      ssize_t r = ::sendfile(sock.native_handle(), fd, &off, n);
      if (r > 0) {
        sent += static_cast<uint64_t>(r);
      } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        co_await sock.async_wait(tcp::socket::wait_write, asio::redirect_error(use_awaitable, ec));
        if (ec) ok = false;
        continue;
      } else if (r < 0 && errno == EINTR) {
        continue;
      } else {
        ok = false;  // error, or the file is shorter than recorded
        break;
      }
    } else {
      co_await asio::async_write(sock, asio::buffer(resp.body.data() + sent, n),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) ok = false;
      sent += n;
    }
    if (faults.bandwidth_bytes_per_s > 0 && ok) {
      auto due = start + std::chrono::microseconds(sent * 1000000 / faults.bandwidth_bytes_per_s);
      auto now = std::chrono::steady_clock::now();
      if (due > now)
        co_await Sleep(std::chrono::duration_cast<std::chrono::microseconds>(due - now));
    }
  }
  if (fd >= 0) ::close(fd);
  if (!ok) co_return false;
  if (faults.reset) {
    sock.set_option(asio::socket_base::linger(true, 0), ec);  // close sends RST
    sock.close(ec);
    co_return false;
  }
  if (faults.truncate) {
    sock.shutdown(tcp::socket::shutdown_both, ec);
    co_return false;
  }
  co_return keep_alive;
}

// Reads the rest of a request's body through `parser`, pushing the watchdog back on progress.
template <class Parser>
awaitable<beast::error_code> ReadBody(tcp::socket& sock, beast::flat_buffer& buf, Parser& parser,
                                      Watchdog& dog) {
  beast::error_code ec;
  while (!parser.is_done()) {
    dog.Arm();
    co_await http::async_read_some(sock, buf, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) break;
  }
  co_return ec;
}

Status TooBig(uint64_t limit) {
  return S3Err("MaxMessageLengthExceeded", "Your request was too big.",
               {{"MaxMessageLengthBytes", std::to_string(limit)}});
}

// Answers a request refused by the server itself (never reached the service) and says the
// connection closes.
awaitable<void> Refuse(tcp::socket& sock, Service& service, Status why, Watchdog& dog) {
  Call call;
  Response resp = service.ErrorResponse(call, why);
  resp.close = true;
  FaultPlan no_faults;  // named: GCC 12 frees temporaries of a co_await expression twice
  co_await WriteResponse(sock, resp, no_faults, 11, false, dog);
}

awaitable<void> Session(tcp::socket sock, Service& service, std::chrono::milliseconds timeout) {
  beast::flat_buffer buf;
  // Beast reads at most the buffer's free capacity at a time: without room, upload bodies
  // arrived in a few KiB per read (PUT ran at a seventh of GET's speed).
  buf.reserve(256 * 1024);
  beast::error_code ec;
  std::string remote = sock.remote_endpoint(ec).address().to_string();
  auto dog = std::make_shared<Watchdog>(sock, timeout);
  asio::co_spawn(sock.get_executor(), Watchdog::Run(dog), asio::detached);
  for (;;) {
    http::request_parser<http::empty_body> hp;
    hp.header_limit(kMaxHeaderSectionBytes + kMaxRequestLineBytes);
    hp.body_limit(std::numeric_limits<std::uint64_t>::max());
    // The whole header within one timeout: trickling it a byte at a time does not extend it.
    dog->Arm();
    co_await http::async_read_header(sock, buf, hp, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::header_limit) {
      Status too_large = S3Err("RequestHeaderSectionTooLarge");
      co_await Refuse(sock, service, too_large, *dog);
      break;
    }
    if (ec) break;  // closed, idle past the timeout, or not HTTP
    const auto& h = hp.get();
    if (HeaderSectionBytes(h) > kMaxHeaderSectionBytes) {
      Status too_large = S3Err("RequestHeaderSectionTooLarge");
      co_await Refuse(sock, service, too_large, *dog);
      break;
    }
    Request req;
    req.method = std::string(h.method_string());
    req.target = std::string(h.target());
    req.remote_ip = remote;
    for (const auto& field : h)
      req.headers.Add(std::string(field.name_string()), std::string(field.value()));
    bool keep_alive = h.keep_alive();
    unsigned version = h.version();
    bool expect_continue = EqualsIgnoreCase(Trim(req.headers.Get("Expect")), "100-continue");
    dog->Disarm();  // routing and authentication are ours to spend time on
    std::unique_ptr<Call> call = service.Begin(std::move(req));
    bool has_body = hp.chunked() || (hp.content_length() && *hp.content_length() > 0);
    // 100 Continue even when the framing says there is no body, as S3 does: botocore keeps the
    // status of a final answer to an Expect request and misreads the connection's next
    // response with it (a one-byte PUT after an empty one hung until its read timeout).
    if (!call->early && expect_continue) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      dog->Arm();
      co_await asio::async_write(sock, asio::buffer(kContinue),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) break;
    }
    if (!call->early && has_body) {
      if (call->sink) {
        http::request_parser<SinkBody> bp(std::move(hp));
        bp.get().body() = call->sink.get();
        ec = co_await ReadBody(sock, buf, bp, *dog);
        // A sink failure (bad digest framing...) is answered; a broken connection is not.
        if (dog->fired()) {
          Status timeout = S3Err("RequestTimeout");
          co_await Refuse(sock, service, timeout, *dog);
          break;
        }
        if (ec && ec != boost::system::errc::invalid_argument) break;
        if (ec) keep_alive = false;
      } else {
        http::request_parser<http::string_body> sp(std::move(hp));
        sp.body_limit(call->body_limit);
        ec = co_await ReadBody(sock, buf, sp, *dog);
        if (dog->fired()) {
          Status timeout = S3Err("RequestTimeout");
          co_await Refuse(sock, service, timeout, *dog);
          break;
        }
        if (ec == http::error::body_limit) {
          // Named, as every argument of a co_await here: GCC 12 mishandles temporaries in it.
          Status too_big = TooBig(call->body_limit);
          co_await Refuse(sock, service, too_big, *dog);
          break;
        }
        if (ec) break;
        call->req.body = std::move(sp.get().body());
      }
    } else if (call->sink) {
      // An empty upload: nothing to read.
    }
    dog->Disarm();
    if (call->faults.latency.count() > 0) co_await Sleep(call->faults.latency);
    Response resp = service.Finish(*call);
    bool again =
        co_await WriteResponse(sock, resp, call->faults, version, keep_alive && !resp.close, *dog);
    if (!again) break;
  }
  sock.shutdown(tcp::socket::shutdown_send, ec);
  if (!dog->fired()) {
    // A request refused before its body was read left bytes in our receive buffer; closing
    // now would send an RST that can destroy the answer before the client reads it. Drain
    // briefly, as a client that sees our FIN closes its end.
    dog->Arm(std::chrono::milliseconds(2000));
    std::vector<char> scratch(64 * 1024);
    for (size_t drained = 0; drained < (4u << 20);) {
      size_t n = co_await sock.async_read_some(asio::buffer(scratch),
                                               asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      drained += n;
    }
  }
  dog->Stop();
  sock.close(ec);
}

awaitable<void> Listen(tcp::acceptor& acceptor, Service& service,
                       std::chrono::milliseconds timeout) {
  for (;;) {
    beast::error_code ec;
    // Each connection gets its own strand: its session and its watchdog never run at once.
    asio::any_io_executor strand = asio::make_strand(acceptor.get_executor());
    tcp::socket sock =
        co_await acceptor.async_accept(strand, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open()) co_return;
      continue;
    }
    sock.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(strand, Session(std::move(sock), service, timeout), asio::detached);
  }
}

// Persists the sim clock every second so a restart (even after kill -9) continues from it.
awaitable<void> SaveClock(Store& store, ScaledClock& clock) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (;;) {
    t.expires_after(std::chrono::seconds(1));
    beast::error_code ec;
    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    (void)store.SaveSimTime(clock.Now());
  }
}

// Runs the service's background sweep (lifecycle transitions, restore completion/expiry) every
// real second, on the strand of one io thread.
awaitable<void> SweepLoop(Service& service) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (;;) {
    t.expires_after(std::chrono::seconds(1));
    beast::error_code ec;
    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    if (Status s = service.Sweep(); !s.ok()) spdlog::warn("sweep: {}", s.ToString());
  }
}

// --events-sqs URL: SendMessageBatch to the queue at URL. The SQS endpoint is the URL's scheme and
// host (moto: http://127.0.0.1:5000/123456789012/q; AWS: https://sqs.REGION.amazonaws.com/...);
// credentials from the environment (AWS_ACCESS_KEY_ID...), else the sim's own keys (enough for
// moto, which accepts any).
Result<MessageSender> MakeSqsSender(const SimOptions& options) {
  const std::string& url = options.events_sqs;
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    return Status::InvalidArgument("--events-sqs wants a queue URL (http[s]://HOST/ACCOUNT/NAME)");
  }
  size_t path = url.find('/', scheme + 3);
  s3::SqsConfig config;
  config.endpoint_url = url.substr(0, path);
  std::string region = s3::RegionFromQueueUrl(url);
  config.region = region.empty() ? options.region : region;
  std::vector<std::unique_ptr<s3::CredentialsProvider>> chain;
  chain.push_back(s3::MakeEnvironmentProvider(s3::ProcessEnv()));
  s3::Credentials own;
  own.access_key_id = options.anonymous ? "thawsim" : options.access_key;
  own.secret_access_key = options.anonymous ? "thawsimsecret" : options.secret_key;
  own.source = "thaw sim";
  chain.push_back(s3::MakeStaticProvider(own));
  std::shared_ptr<s3::SqsClient> client =
      s3::MakeSqsClient(config, s3::MakeChainProvider(std::move(chain)));
  return MessageSender([client, url](const std::vector<std::string>& bodies) -> Status {
    std::vector<s3::SendMessageBatchEntry> entries;
    for (size_t i = 0; i < bodies.size(); ++i) {
      s3::SendMessageBatchEntry e;
      e.id = "m" + std::to_string(i);
      e.body = bodies[i];
      entries.push_back(std::move(e));
    }
    THAW_ASSIGN_OR_RETURN(s3::BatchResult r, client->SendMessageBatch(url, entries));
    if (!r.failed.empty()) {
      return Status::Unavailable(std::to_string(r.failed.size()) + " messages refused: " +
                                 r.failed[0].code + " " + r.failed[0].message);
    }
    return Status::Ok();
  });
}

// "HOST:PORT", ":PORT" or "PORT". A missing host is loopback, never every interface: the sim
// holds whatever its clients upload and (with --anonymous) serves it to anyone who can connect.
Result<tcp::endpoint> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon != std::string::npos && listen.find(']') != std::string::npos &&
      colon < listen.find(']')) {
    colon = std::string::npos;  // "[::1]" without a port
  }
  auto port = ParseUint64(colon == std::string::npos ? listen : listen.substr(colon + 1));
  std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec || !port || *port > 65535) return Status::InvalidArgument("bad --listen '" + listen + "'");
  return tcp::endpoint(addr, static_cast<unsigned short>(*port));
}

}  // namespace

Status RunSim(const SimOptions& options, const std::function<void(const std::string&)>& on_ready) {
  namespace fs = std::filesystem;
  std::string dir = options.data_dir;
  bool temporary = dir.empty();
  if (temporary) {
    std::string tmpl = (fs::temp_directory_path() / "thaw-sim-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return Status::Internal("cannot create a temporary data dir");
    dir = tmpl;
  }
  struct Cleanup {
    std::string dir;
    bool on;
    ~Cleanup() {
      std::error_code ec;
      if (on) fs::remove_all(dir, ec);
    }
  } cleanup{dir, temporary};

  // SIGINT/SIGTERM are blocked in every thread (set before any thread starts) and taken by one
  // waiter with sigwait, so a second signal during shutdown stays pending instead of killing the
  // process before the final SaveSimTime and the event flush.
  // A client that hangs up mid-body makes sendfile(2) raise SIGPIPE (unlike Asio's own writes,
  // which pass MSG_NOSIGNAL): the write must fail with EPIPE, not kill the server.
  signal(SIGPIPE, SIG_IGN);
  // Listing pages and their rows are built in buffers of a few hundred KiB per request: with
  // glibc's defaults each came from fresh pages (mmap, or an arena trimmed after the last
  // request), and page faults were a quarter of a listing's CPU. Keep freed memory for reuse.
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  THAW_ASSIGN_OR_RETURN(auto store, Store::Open(dir));
  THAW_ASSIGN_OR_RETURN(auto endpoint, ParseListen(options.listen));
  Clock& real = Clock::Real();
  auto saved = store->LoadSimTime();
  ScaledClock clock(real, options.time_scale, saved ? std::max(*saved, real.Now()) : real.Now());
  FaultInjector faults;
  THAW_RETURN_IF_ERROR(faults.SetSpec(options.faults).WithContext("--faults"));
  StsSessions sts(clock,
                  options.account_id);  // the STS endpoint's credentials expire on the sim clock
  THAW_RETURN_IF_ERROR(sts.Attach(store.get()));
  Authenticator auth({options.access_key, options.secret_key, options.anonymous}, real, &sts);
  Service service(*store, clock, auth, faults, options.region);
  service.SetSts(&sts);
  THAW_ASSIGN_OR_RETURN(double expedited, ParseExpeditedSetting(options.expedited));
  service.SetExpeditedUnavailableRate(expedited);
  service.SetAccountId(options.account_id);
  THAW_RETURN_IF_ERROR(service.LoadLifecycles());
  std::unique_ptr<EventWriter> events;
  if (!options.events_dir.empty() || !options.events_sqs.empty()) {
    EventsOptions eo;
    eo.dir = options.events_dir;
    eo.account_id = options.account_id;
    eo.region = options.region;
    if (!options.events_sqs.empty()) {
      THAW_ASSIGN_OR_RETURN(eo.sender, MakeSqsSender(options));
    }
    THAW_ASSIGN_OR_RETURN(events, EventWriter::Start(std::move(eo)));
    service.SetEvents(events.get());
  }

  int threads = std::clamp(options.io_threads, 1, 16);
  asio::io_context io(threads);
  tcp::acceptor acceptor(io);
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("listen on " + options.listen + ": " + ec.message());
  auto local = acceptor.local_endpoint();

  asio::co_spawn(io, Listen(acceptor, service, std::chrono::milliseconds(options.idle_timeout_ms)),
                 asio::detached);
  asio::co_spawn(io, SaveClock(*store, clock), asio::detached);
  asio::co_spawn(io, SweepLoop(service), asio::detached);

  std::string host = local.address().to_string();
  if (local.address().is_v6()) host = "[" + host + "]";
  std::string banner =
      "thaw sim listening on http://" + host + ":" + std::to_string(local.port()) +
      " (access key " + (options.anonymous ? std::string("any") : options.access_key) +
      ", secret " + (options.anonymous ? std::string("any") : options.secret_key) + ", region " +
      options.region + ", data " + dir +
      (options.time_scale != 1.0 ? ", time scale " + std::to_string(options.time_scale) : "") + ")";
  if (on_ready) on_ready(banner);
  if (options.anonymous && !local.address().is_loopback()) {
    // stderr whatever the log level: this is a decision the operator must have made knowingly.
    std::fprintf(stderr,
                 "WARNING: thaw sim --anonymous is listening on %s, which is not a loopback "
                 "address: anyone who can reach this port can read, write and delete every "
                 "object and change the sim's clock and faults without credentials\n",
                 host.c_str());
    std::fflush(stderr);
  }

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("signal {}: stopping", sig);
    io.stop();
  });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& t : pool) t.join();
  waiter.join();
  if (events) {
    events->Stop();  // flushes the open log files
    if (events->dropped() > 0) spdlog::warn("events: {} records dropped", events->dropped());
  }
  return store->SaveSimTime(clock.Now());
}

}  // namespace thaw::sim
