from . import stock_publication_channel
