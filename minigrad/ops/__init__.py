"""Every op, under its torch name. Each family lives in its own module, forward beside backward."""
from .convert import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
