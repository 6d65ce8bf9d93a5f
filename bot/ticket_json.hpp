#pragma once
// The ticket as the staff API returns it (contract: "Ticket as the API returns it").

#include "bot/clock.hpp"
#include "store/store.hpp"

#include <string>
#include <vector>

namespace bot {

// "+8613800135678" → "+86138****5678"; short or odd numbers keep only their last 4 digits.
std::string mask_phone(const std::string& e164);

// JSON object for one ticket. history/transcript are included when given (nullptr: omitted,
// as in list answers). mask: phone numbers masked for roles that may not see them.
std::string ticket_json(const store::ticket_record& t, const std::vector<store::ticket_event>* history,
                        const std::vector<store::message_record>* transcript, const clock& clk, bool mask);

}  // namespace bot
