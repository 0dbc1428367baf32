// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#include <boost/processkit.hpp>

#include <iostream>

int main()
{
    auto out = boost::processkit::run("echo", {"consumer", "ok"});
    if (!out)
    {
        std::cerr << out.error().message() << "\n";
        return 1;
    }
    std::cout << out.value() << "\n";
    return out.value() == "consumer ok" ? 0 : 1;
}
