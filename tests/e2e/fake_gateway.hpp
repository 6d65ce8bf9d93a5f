#pragma once
// A fake gateway for end-to-end tests: a real HTTP server on 127.0.0.1:0 (Twilio REST, WeChat
// API) that records every request and answers from a script: per path prefix, a queue of
// canned answers (then a default), optionally delayed (a hanging gateway).

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace e2e {

struct recorded_request {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct canned_answer {
  int status = 200;
  std::string body = "{}";
  std::chrono::milliseconds delay{0};  // hold the answer this long (a slow or hanging gateway)
  // What is sent after the delay: an HTTP answer, nothing (the connection is reset), or bytes
  // that are not HTTP at all.
  enum class kind { http, reset, garbage };
  kind mode = kind::http;
};

class fake_gateway {
 public:
  fake_gateway();
  ~fake_gateway();
  fake_gateway(const fake_gateway&) = delete;
  fake_gateway& operator=(const fake_gateway&) = delete;

  unsigned short port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Answers for requests whose path starts with `prefix`: the queued ones first, in order, then
  // `fallback` (default: 200 "{}").
  void queue(const std::string& prefix, canned_answer answer);
  void fallback(const std::string& prefix, canned_answer answer);

  // Requests received so far whose path starts with `prefix` (all when empty).
  std::vector<recorded_request> requests(const std::string& prefix = {}) const;
  // Waits until at least `n` such requests arrived or `timeout` passed; returns the count.
  std::size_t wait_for(const std::string& prefix, std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  unsigned short port_ = 0;
};

}  // namespace e2e
