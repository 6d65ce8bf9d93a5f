#pragma once
// Staff API authentication (contract: Staff API): bearer tokens from the staff file, stored as
// SHA-256 hashes, each bound to one staff member and role. Shared by the read and write sides.

#include "bot/app.hpp"
#include "bot/digest.hpp"
#include "bot/http.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace bot {

// The staff member of `files` (the handler's snapshot, app::files) whose token hash matches the
// request's `Authorization: Bearer`, compared in constant time; nullptr when the header is
// missing or matches nobody. Valid while the caller holds that snapshot. Any thread.
const staff_member* authenticate(const data_files& files, const http_request& req);

// Who made a staff API request, with the snapshot of the data files they were found in: `who`
// points into `files`, so a handler keeps the whole session while it uses `who` (across its
// co_awaits too). `who` is null when the header is missing or matches nobody.
struct staff_session {
  std::shared_ptr<const data_files> files;
  const staff_member* who = nullptr;
};
// authenticate() above, on the current snapshot (app::files).
staff_session authenticate(const app& a, const http_request& req);

// 401 with a WWW-Authenticate challenge.
http_response unauthenticated();

// Engineers (own tickets) and supervisors see full phone numbers; admins see them masked
// (product.md).
bool sees_full_phone(const staff_member& who);

}  // namespace bot
