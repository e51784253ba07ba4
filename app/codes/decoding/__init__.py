"""Reading barcodes from inspectors' photos: refusing hostile files, two readers, retries under
a time budget, and checks that keep misreads out (see stack.py for the order of things)."""
