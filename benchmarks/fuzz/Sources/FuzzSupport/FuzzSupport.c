// Only a header: a C target needs one source file.
#include "FuzzSupport.h"
