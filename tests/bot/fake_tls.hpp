#pragma once
// Test-only TLS material: a self-signed certificate made with OpenSSL at run time (nothing
// checked in that could expire), and a temp directory to put PEM files in for libcurl.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include <stdlib.h>

namespace fake {

struct certificate {
  std::string cert_pem;  // self-signed, CA:TRUE, so the same PEM is the trust anchor
  std::string key_pem;
};

namespace detail {
struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
};
struct bio_free {
  void operator()(BIO* p) const { BIO_free(p); }
};

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string{"openssl: "} + what);
}

inline void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(added == 1, "X509_add_ext");
}

inline std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string{data, static_cast<std::size_t>(n)};
}
}  // namespace detail

// A P-256 self-signed certificate valid for an hour either side of now, for the names in
// `subject_alt_names` (OpenSSL syntax: "DNS:localhost,IP:127.0.0.1").
inline certificate make_self_signed(const std::string& subject_alt_names) {
  std::unique_ptr<EVP_PKEY, detail::pkey_free> key{EVP_EC_gen("P-256")};
  detail::check(key != nullptr, "EVP_EC_gen");
  std::unique_ptr<X509, detail::x509_free> cert{X509_new()};
  detail::check(cert != nullptr, "X509_new");
  X509* x = cert.get();
  detail::check(X509_set_version(x, 2) == 1, "X509_set_version");
  detail::check(ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1, "serial");
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  detail::check(X509_set_pubkey(x, key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("servicebot test"), -1,
                             -1, 0);
  detail::check(X509_set_issuer_name(x, name) == 1, "X509_set_issuer_name");
  detail::add_extension(x, NID_basic_constraints, "critical,CA:TRUE");
  detail::add_extension(x, NID_key_usage, "critical,digitalSignature,keyCertSign");
  detail::add_extension(x, NID_subject_key_identifier, "hash");
  detail::add_extension(x, NID_subject_alt_name, subject_alt_names.c_str());
  detail::check(X509_sign(x, key.get(), EVP_sha256()) > 0, "X509_sign");

  certificate out;
  std::unique_ptr<BIO, detail::bio_free> cert_bio{BIO_new(BIO_s_mem())};
  detail::check(PEM_write_bio_X509(cert_bio.get(), x) == 1, "PEM_write_bio_X509");
  out.cert_pem = detail::bio_string(cert_bio.get());
  std::unique_ptr<BIO, detail::bio_free> key_bio{BIO_new(BIO_s_mem())};
  detail::check(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
                "PEM_write_bio_PrivateKey");
  out.key_pem = detail::bio_string(key_bio.get());
  return out;
}

// A fresh directory under the system temp dir, removed with its contents at scope exit.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sb-net-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  // Writes `content` to `name` in this directory and returns the file's path.
  std::string write(const std::string& name, const std::string& content) const {
    auto file = path_ / name;
    std::ofstream out{file, std::ios::binary};
    out << content;
    if (!out) throw std::runtime_error("cannot write " + file.string());
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace fake
