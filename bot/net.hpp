#pragma once
// Namespace aliases for Asio/Beast, in one place (style.md §1).
// <utility> first: Boost 1.74's awaitable.hpp uses std::exchange without including it (GCC 12).
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace net = boost::asio;
