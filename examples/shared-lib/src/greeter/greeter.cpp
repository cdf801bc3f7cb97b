#include "greeter/greeter.h"

namespace greeter {

std::string hello(const std::string& name) {
    return "hello, " + name;
}

}  // namespace greeter
