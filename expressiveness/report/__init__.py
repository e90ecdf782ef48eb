"""Reports: findings in words, figures, and the HTML and markdown pages. Import the modules
themselves (pages.write_reports writes a folder's pages)."""
