/* The example configuration, for the host syntax check. */
#include "../../livectl_esp32/config.example.h"
