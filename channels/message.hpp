#pragma once
// Channel-neutral messages: what every gateway adapter turns its traffic into,
// and what the bot hands back to an adapter to send.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace channels {

// A media item the customer sent (photo of the nameplate, a voice note...).
struct attachment {
  std::string kind;          // image | voice | video | file
  std::string ref;           // gateway media id or URL
  std::string content_type;  // MIME type when the gateway says it, else empty
};

// One message or event from a customer, whatever the channel.
struct inbound_message {
  std::string channel;       // wechat | sms | email
  std::string provider_id;   // gateway's id for dedupe: MsgId, MessageSid, Message-Id,
                             // or FromUserName+CreateTime+Event for WeChat events
  std::string from;          // channel identity of the customer: OpenID, E.164 phone, e-mail address
  std::string to;            // our own address on that channel (gh_ id, Twilio number, mailbox)
  std::int64_t created_at = 0;  // gateway's timestamp, Unix seconds (0 if unknown)
  std::string kind;          // text | image | voice | video | location | link | event
  std::string text;          // text content; voice: the Recognition text when present
  std::string event;         // kind == event: subscribe | unsubscribe | click | scan | view | location | ...
  std::string event_key;     // CLICK menu key, QR scene, ...
  std::vector<attachment> attachments;
  std::optional<double> latitude, longitude;
  std::string location_label;
};

}  // namespace channels
