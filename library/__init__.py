"""Not a package users import (that is `kucoin_futures`, inside): this file only gives
the library's tests a module name of their own, `library.tests`, beside the mock's `tests`."""
